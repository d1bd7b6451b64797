from enum import StrEnum


class CancelStateName(StrEnum):
    OK = "OK"
    ORDER_CANCELED = "ORDER_CANCELED"
    PLATFORM_REJECT = "PLATFORM_REJECT"

    def __str__(self) -> str:
        return str(self.value)
