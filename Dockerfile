# Production image of the MedLoop control plane (see docker-compose.yml).
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production DATA_DIR=/data
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/libs/contracts/vda5050 ./libs/contracts/vda5050
USER node
EXPOSE 3000 1883 8083 8883
# a 64 MB young generation, as `npm start`: see the README
CMD ["node", "--max-semi-space-size=64", "dist/apps/control-plane/src/main.js"]
