from enum import StrEnum


class SignatureAlgorithm(StrEnum):
    HMACSHA256 = "HmacSHA256"

    def __str__(self) -> str:
        return str(self.value)
