# permafrost as a container image: build stage (compilers, dev dependencies, native helpers),
# then a slim runtime stage with only what the CLI needs, running as a non-root user.
#   docker build -t permafrost .
#   docker run --rm -v pf-state:/var/lib/permafrost -e PERMAFROST_REPOSITORY=... permafrost backup ...
FROM node:20-bookworm AS build
WORKDIR /opt/permafrost
# the native helpers (native/) and zstd-napi are compiled by node-gyp during npm install
# (node:20-bookworm is based on buildpack-deps: g++, make and python3 are there)
COPY package.json package-lock.json tsconfig.json ./
COPY native/package.json native/binding.gyp native/index.cjs native/
COPY native/src native/src
COPY bin bin
COPY src src
COPY services services
COPY streams streams
COPY restore-plans restore-plans
# `prepare` compiles the TypeScript into dist/; then the dev dependencies go
RUN npm install --no-audit --no-fund && npm prune --omit=dev --no-audit --no-fund \
 && test -e native/build/Release/permafrost_native.node \
 && rm -rf src services streams restore-plans native/build/Release/obj.target

FROM node:20-bookworm-slim
RUN groupadd --system --gid 10001 permafrost \
 && useradd --system --uid 10001 --gid permafrost --home-dir /var/lib/permafrost --shell /usr/sbin/nologin permafrost \
 && mkdir -p /var/lib/permafrost && chown permafrost:permafrost /var/lib/permafrost
WORKDIR /opt/permafrost
COPY --from=build /opt/permafrost /opt/permafrost
RUN ln -s /opt/permafrost/bin/permafrost.js /usr/local/bin/permafrost
# run registry, host locks and restore state live here: keep it across runs
ENV PERMAFROST_STATE_DIR=/var/lib/permafrost/state HOME=/var/lib/permafrost
VOLUME ["/var/lib/permafrost"]
USER permafrost
ENTRYPOINT ["permafrost"]
CMD ["--help"]
