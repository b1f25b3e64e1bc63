# The self-healing worker: healing + health-check workflows and their activities, and the
# payload codec endpoint when encryption is on. TypeScript runs directly through tsx (a runtime
# dependency), so there is no build step; the workflows are bundled at start-up.
FROM node:20-slim

ENV NODE_ENV=production
WORKDIR /app

# Dependencies first, so source changes do not reinstall them. Production dependencies only:
# tsx, the Temporal SDK (its native bridge ships inside the package) and the drivers.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY . .

USER node
# Codec endpoint for the Temporal UI (CODEC_SERVER_PORT), only listening when a key is set.
EXPOSE 8888
CMD ["node", "--import", "tsx", "workers/main.ts"]
