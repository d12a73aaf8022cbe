# One image for both apps; docker-compose.yml picks the uWSGI section.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml setup.cfg README.md ./
COPY api api
COPY frontend frontend
COPY observability observability
COPY settings settings
# Install the dependencies into a virtualenv, then drop the package itself:
# the image runs the source tree below, beside its migrations/.
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir . \
    && /opt/venv/bin/pip uninstall --yes tessera

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /srv/tessera tessera
COPY --from=build /opt/venv /opt/venv
WORKDIR /srv/tessera
COPY uwsgi.ini ./
COPY api api
COPY frontend frontend
COPY observability observability
COPY settings settings
COPY migrations migrations
RUN mkdir instance && chown tessera instance
USER tessera
ENV PATH=/opt/venv/bin:$PATH PYTHONPATH=/srv/tessera TESSERA_ENV=production
EXPOSE 3031
CMD ["uwsgi", "--ini", "uwsgi.ini:api"]
