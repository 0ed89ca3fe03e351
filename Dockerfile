# Build stage: compile the TypeScript with the dev dependencies, then keep only the production ones.
FROM node:20-slim AS build
WORKDIR /build
COPY package.json package-lock.json tsconfig.json tsconfig.base.json ./
COPY packages/automation-sdk-shim/package.json packages/automation-sdk-shim/tsconfig.json packages/automation-sdk-shim/
RUN npm ci --no-audit --no-fund
COPY packages/automation-sdk-shim/src packages/automation-sdk-shim/src
COPY tsconfig.image.json main.ts cli.ts ./
COPY module module
COPY triggers triggers
# The shim may keep dependencies of its own under its node_modules (ajv 8 stays there, because
# eslint wants ajv 6 at the root when the lock file is laid out): the directory always exists, so the
# runtime COPY below works whatever the lock file hoists.
RUN npx tsc -p packages/automation-sdk-shim \
 && npx tsc -p tsconfig.image.json \
 && npm prune --omit=dev --no-audit --no-fund \
 && mkdir -p packages/automation-sdk-shim/node_modules

# Runtime stage: what the platform runs, as a non-root user, without dev dependencies or simulators.
FROM node:20-slim
ENV NODE_ENV=production
# The collector's live heap is small (about 30 MB moving a million events), but on a large host V8
# lets each of its two threads' heaps grow far past that before collecting. A bound on the young and
# old generations keeps the peak RSS under 200 MB (npm run bench:collect and bench:syslog run with
# this value: about 240 MB without the old-space bound, 130 to 180 MB with it). The work in progress
# is bounded whatever the backlog (listings in windows, reports in pieces), so a 90-day catch-up of
# a million sessions fits in it too.
ENV NODE_OPTIONS="--max-semi-space-size=8 --max-old-space-size=256"
WORKDIR /app
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin sekoiaio-runtime \
 && mkdir -p /symphony_data \
 && chown sekoiaio-runtime /symphony_data
COPY --from=build /build/package.json ./
COPY --from=build /build/node_modules node_modules
COPY --from=build /build/packages/automation-sdk-shim/package.json packages/automation-sdk-shim/
COPY --from=build /build/packages/automation-sdk-shim/dist packages/automation-sdk-shim/dist
COPY --from=build /build/packages/automation-sdk-shim/node_modules packages/automation-sdk-shim/node_modules
COPY --from=build /build/dist dist
COPY manifest.json logo.svg ./
COPY triggers/*.json triggers/
USER sekoiaio-runtime
# The platform passes one argument: the docker_parameters of the item to run.
ENTRYPOINT ["node", "/app/dist/main.js"]
