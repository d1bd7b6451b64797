"""az-futures: the SDK for the AZ futures exchange's market-maker batch endpoint."""

__version__ = "0.1.0"
