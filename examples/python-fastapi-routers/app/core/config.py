"""Settings read from the environment, each with a default."""

from pydantic_settings import BaseSettings


class Settings(BaseSettings):
    PROJECT_NAME: str = "Catalogue"
    API_V1_STR: str = "/api/v1"
    REDIS_URL: str | None = None


settings = Settings()
