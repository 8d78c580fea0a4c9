# syntax=docker/dockerfile:1
# Node 24 LTS, pinned by digest so that a rebuild gets the same base (a tag moves; a digest does
# not). To move to a newer 24.x release: `docker buildx imagetools inspect node:24-slim` prints the
# multi-platform index digest ("Digest: sha256:…") and `docker run --rm node:24-slim node -v` the
# version; put both in NODE_IMAGE below, build, and run the tests against the image.
ARG NODE_IMAGE=node:24.21.0-slim@sha256:0e0ff40c39bc087845bfb27465a0df4ea419520094bc35842ff83dd8cbe6f9b6

# Build stage: compiles better-sqlite3 (native) and installs sharp, then builds the TypeScript
# (src/ and scripts/ into dist/, so the operator commands need no tsx).
FROM ${NODE_IMAGE} AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts ./scripts
RUN npm run build && npm prune --omit=dev

# Font stage: the statement PDFs embed one font, Noto Sans CJK Regular (the first candidate of
# src/coordinator/statement-export.ts). It is taken out of Debian's fonts-noto-cjk package, which
# installs about 90 MB of fonts; only this one file reaches the image.
FROM ${NODE_IMAGE} AS font
WORKDIR /tmp/font
RUN apt-get update \
 && apt-get download fonts-noto-cjk \
 && dpkg-deb -x fonts-noto-cjk_*.deb root \
 && test -s root/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc \
 && rm -rf /var/lib/apt/lists/*

# Runtime stage: only what the server needs, as a non-root user, data on a volume.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATABASE_PATH=/data/xiangyi.db
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system xiangyi && useradd --system --gid xiangyi --home /app xiangyi \
 && mkdir -p /data /backups && chown xiangyi:xiangyi /data /backups
COPY --from=font /tmp/font/root/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# `npm run migrate|backup|ledger:check` check the build first; without the TypeScript they run dist/ as it is.
COPY scripts/ensure-build.mjs ./scripts/ensure-build.mjs
COPY drizzle ./drizzle
# PostgreSQL's migrations (DATABASE_URL), applied at start-up or by `npm run migrate`.
COPY drizzle-pg ./drizzle-pg
COPY views ./views
COPY static ./static
USER xiangyi
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "--max-old-space-size=512", "dist/src/server.js"]
