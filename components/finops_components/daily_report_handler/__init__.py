"""The Lambda function behind :class:`finops_components.DailyCostReport`.

``handler.py`` is deployed on its own (the function's code is that one file), so it imports
only the standard library and boto3, which the Lambda Python runtime provides.
"""
