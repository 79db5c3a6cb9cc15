"""Settings every database engine reads; each engine module adds its own (URL, timeouts, pool)."""

from ..core.settings import CoreSettings


class EngineSettings(CoreSettings):
    database_echo: bool = False

    def unsafe_in_production(self) -> list[str]:
        problems = super().unsafe_in_production()
        if self.database_echo:
            problems.append(
                "DATABASE_ECHO=true is refused in production (every SQL statement logged with "
                "its parameters: e-mail addresses, password hashes): set DATABASE_ECHO=false"
            )
        return problems
