# Flowscope in a container. Inside it the server must listen on all interfaces, so the command
# passes --host 0.0.0.0 explicitly (outside a container the default stays 127.0.0.1).
#   docker build -t flowscope .
#   docker run --rm -p 8000:8000 flowscope      → open http://127.0.0.1:8000 (or localhost)
# The DNS-rebinding guard stays on: only loopback names and the container's own answer. Reached by
# another name, add it:   docker run -e FLOWSCOPE_ALLOWED_HOSTS='["flowscope.lan"]' …
# (behind a proxy that checks Host itself, --allow-any-host turns the guard off). `docker stop` sends
# SIGTERM: training threads stop and the server exits 0.
# torch from the default index is the large CUDA build; to get the small CPU-only one, point
# TORCH_INDEX at a CPU wheel index: docker build --build-arg TORCH_INDEX=<url> -t flowscope .
FROM python:3.11-slim

ARG TORCH_INDEX=""
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONUNBUFFERED=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY engine ./engine
COPY server ./server
COPY frontend ./frontend
COPY flowscope ./flowscope

RUN if [ -n "$TORCH_INDEX" ]; then pip install --index-url "$TORCH_INDEX" "torch>=2.4"; fi \
 && pip install . \
 && useradd --create-home --uid 1000 flowscope

USER flowscope
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/api/health', timeout=4)"
CMD ["flowscope", "--host", "0.0.0.0", "--port", "8000", "--no-browser"]
