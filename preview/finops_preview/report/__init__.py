"""``finops report``: cost allocation (chargeback) across stacks, budget use and variance."""
