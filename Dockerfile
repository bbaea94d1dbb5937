FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml ./
RUN pip install --no-cache-dir . && rm -rf build *.egg-info
COPY . .
RUN SECRET_KEY=build DATABASE_URL=postgres://x@x/x REDIS_URL=redis://x:6379/0 python manage.py collectstatic --no-input
RUN useradd --system --home /app sfe && chown -R sfe /app
USER sfe
EXPOSE 8000
CMD ["gunicorn", "sfe.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--threads", "4", "--access-logfile", "-"]
