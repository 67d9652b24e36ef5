# syntax=docker/dockerfile:1
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY storage ./storage
COPY content ./content
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DATABASE_URL=sqlite+aiosqlite:////data/companion.sqlite3
COPY --from=build /install /usr/local
RUN groupadd --system --gid 10001 companion \
 && useradd --system --uid 10001 --gid companion --home-dir /data --shell /usr/sbin/nologin companion \
 && mkdir -p /data && chown companion:companion /data
USER companion
WORKDIR /data
VOLUME ["/data"]
# `run --webhook` listens on PORT (default 8080); long polling (the default) needs no port
EXPOSE 8080
STOPSIGNAL SIGTERM
ENTRYPOINT ["craving-companion"]
CMD ["run"]
