"""Celery entry point: ``celery -A cspm.worker worker`` (or ``cspm worker``)."""

from cspm.core.celery_app import create_celery, install_worker_hooks, prepare_worker_metrics
from cspm.core.container import ServiceContainer
from cspm.core.logging import configure_logging
from cspm.core.settings import resolve_core_settings

settings = resolve_core_settings()
configure_logging(settings.log_level, settings.log_json)
# Before anything imports prometheus_client (job modules import the container and its metrics).
prepare_worker_metrics(settings)
celery_app = create_celery(settings, ServiceContainer)
install_worker_hooks(settings)
