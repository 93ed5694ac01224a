"""Celery entry point: ``celery -A cspm.worker worker`` (or ``cspm worker``)."""

from cspm.core.celery_app import create_celery
from cspm.core.logging import configure_logging
from cspm.core.settings import resolve_core_settings

settings = resolve_core_settings()
configure_logging(settings.log_level, settings.log_json)
celery_app = create_celery(settings)
