# syntax=docker/dockerfile:1.7
#
# stitchserve container image. Two runtime targets share one build stage:
#   docker build -t stitchserve:cpu .                            (default = last stage `runtime`: CPU, Debian slim)
#   docker build -t stitchserve:gpu --target runtime-gpu .       (CUDA 12 + cuDNN 9, onnxruntime CUDA provider)
# docs/deploying.md explains the targets, the build args and the manual check this file rests on: no Docker
# engine runs where the project is developed, so test/deploy/dockerfile.test.ts checks it with a parser.

# Base images are pinned to exact releases; add digests (`--build-arg NODE_IMAGE=node:…@sha256:…`) when your
# registry policy demands it. Node 24 is the active LTS line (the app is developed and tested on Node 20+).
ARG NODE_VERSION=24.21.0
ARG NODE_IMAGE=node:${NODE_VERSION}-bookworm-slim
ARG CUDA_IMAGE=nvidia/cuda:12.9.1-cudnn-runtime-ubuntu24.04
# Numeric and non-root; k8s/base/deployment.yaml sets the same runAsUser/runAsGroup (a test ties them).
ARG APP_UID=10001
ARG APP_GID=10001

# ---------------------------------------------------------------------------------------------------------
# build: install every dependency, compile TypeScript, cut node_modules down to what production needs, and
# assemble /out/app: what runs, with the demo bundle (without its test references) where config/default.json
# expects it, so `docker run` with no configuration serves it.
FROM ${NODE_IMAGE} AS build
WORKDIR /src
# onnxruntime-node's postinstall downloads the CUDA/TensorRT providers from NuGet; the CPU provider is bundled.
# Skip it (the script's own env switch, for any npm; allowScripts in package.json for npm >= 11). build-gpu
# fetches it on purpose. Optional dependencies must stay: they carry sharp's prebuilt libvips.
ENV ONNXRUNTIME_NODE_INSTALL=skip \
    npm_config_fund=false \
    npm_config_audit=false \
    npm_config_update_notifier=false
COPY package.json package-lock.json .npmrc ./
RUN --mount=type=cache,target=/root/.npm npm ci --include=dev --include=optional
# .dockerignore is an allow-list: only sources, config, the bundle schema and the demo bundle arrive here.
COPY . .
RUN npm run build \
 && npm prune --omit=dev \
 && sh scripts/docker/prune-onnxruntime.sh node_modules linux/x64 \
 && mkdir -p /out/app/models \
 && cp -r dist node_modules package.json /out/app/ \
 && for extra in config public models/bundle.schema.json; do \
      if [ -e "$extra" ]; then cp -r --parents "$extra" /out/app/; fi; \
    done \
 && cp -r models/fmnist-s-l /out/app/models/fmnist-s-l \
 && rm -rf /out/app/models/fmnist-s-l/references \
 && test -f /out/app/dist/src/server.js \
 && test -f /out/app/models/fmnist-s-l/manifest.json

# ---------------------------------------------------------------------------------------------------------
# build-gpu: the same app plus onnxruntime's CUDA execution provider. onnxruntime-node's postinstall is the only
# publisher of these libraries for the Node binding: it downloads the Microsoft.ML.OnnxRuntime.Gpu.Linux NuGet
# package of the same version and extracts libonnxruntime_providers_{cuda,shared,tensorrt}.so next to the
# binding. We run that script explicitly (needs HTTPS to NuGet at build time; honours GLOBAL_AGENT_HTTPS_PROXY).
# TensorRT is not in the runtime base image, so its provider is dropped rather than shipped unloadable.
FROM build AS build-gpu
WORKDIR /out/app
RUN ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js \
 && cd node_modules/onnxruntime-node/bin/napi-v6/linux/x64 \
 && test -s libonnxruntime_providers_cuda.so \
 && test -s libonnxruntime_providers_shared.so \
 && rm -f libonnxruntime_providers_tensorrt.so

# ---------------------------------------------------------------------------------------------------------
# node-runtime: Debian slim + Node LTS + tini + the numeric app user, without npm/npx/corepack/yarn (the image
# runs `node` only: less to patch, less to exploit). Also the source of node and tini for runtime-gpu.
FROM ${NODE_IMAGE} AS node-runtime
ARG APP_UID
ARG APP_GID
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini=0.19.0-1+b3 \
 && rm -rf /var/lib/apt/lists/* \
 && rm -rf /usr/local/lib/node_modules /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
      /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-* \
 && groupadd --system --gid "${APP_GID}" stitchserve \
 && useradd --system --uid "${APP_UID}" --gid "${APP_GID}" --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin stitchserve \
 && mkdir -p /models /etc/stitchserve /app/.profile-cache \
 && chown "${APP_UID}:${APP_GID}" /app/.profile-cache

# ---------------------------------------------------------------------------------------------------------
# runtime-gpu: NVIDIA CUDA 12.x + cuDNN 9 runtime (what onnxruntime 1.30's CUDA provider links against), the same
# Node binary and a static tini, and the app from build-gpu. The config's device "cuda" selects the provider
# (k8s/overlays/gpu sets it); the server falls back to CPU when CUDA is not usable.
FROM ${CUDA_IMAGE} AS runtime-gpu
ARG APP_UID
ARG APP_GID
COPY --from=node-runtime /usr/local/bin/node /usr/local/bin/node
COPY --from=node-runtime /usr/bin/tini-static /usr/bin/tini
RUN groupadd --system --gid "${APP_GID}" stitchserve \
 && useradd --system --uid "${APP_UID}" --gid "${APP_GID}" --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin stitchserve \
 && mkdir -p /models /etc/stitchserve /app/.profile-cache \
 && chown "${APP_UID}:${APP_GID}" /app/.profile-cache
WORKDIR /app
COPY --from=build-gpu /out/app /app
# Fail the build, not the pod, when the base image lacks a library the CUDA provider needs (cuBLAS, cuDNN 9…).
# libcuda.so.1 is the driver: the NVIDIA container runtime mounts it at run time, so it is absent here. The
# provider's own directory is on the search path as at run time (onnxruntime loads providers_shared from it).
RUN node --version \
 && ort=/app/node_modules/onnxruntime-node/bin/napi-v6/linux/x64 \
 && missing="$(LD_LIBRARY_PATH="$ort:${LD_LIBRARY_PATH:-}" ldd "$ort/libonnxruntime_providers_cuda.so" \
      | grep 'not found' | grep -v 'libcuda\.so' || true)" \
 && if [ -n "$missing" ]; then echo "CUDA provider is missing libraries: $missing" >&2; exit 1; fi
ENV NODE_ENV=production
VOLUME ["/app/.profile-cache", "/tmp"]
EXPOSE 8080
USER ${APP_UID}:${APP_GID}
HEALTHCHECK --interval=30s --timeout=3s --start-period=180s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/src/server.js"]

# ---------------------------------------------------------------------------------------------------------
# runtime (CPU, the default target because it is last): code and the demo bundle (/app/models/fmnist-s-l) are
# root-owned and read-only to the app user; the only writable paths are the two volumes (emptyDirs in
# Kubernetes, where the root fs is read-only). Other bundles: mount them read-only under /models
# (e.g. /models/deit3-s-l) and set engine.bundle in the config file (STITCHSERVE_CONFIG or --config).
FROM node-runtime AS runtime
ARG APP_UID
ARG APP_GID
WORKDIR /app
COPY --from=build /out/app /app
ENV NODE_ENV=production
VOLUME ["/app/.profile-cache", "/tmp"]
EXPOSE 8080
USER ${APP_UID}:${APP_GID}
# Optional for plain Docker; Kubernetes ignores it and uses the probes in k8s/base/deployment.yaml.
HEALTHCHECK --interval=30s --timeout=3s --start-period=120s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/src/server.js"]
