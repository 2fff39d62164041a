#!/bin/sh
# A chat hub in a container: joins the network of $SHOAL_INVITE on first start (the data dir
# is the volume), then runs the agent as a hub meshed with $SHOAL_HUBS, serving the web client
# with $SHOAL_PUBLIC_HUBS as the hubs browsers may fail over to.
set -eu
shoal() { node /shoal/apps/cli/bin/shoal.js "$@"; }
: "${SHOAL_INVITE:?set SHOAL_INVITE to the network's invite (shoal init prints one)}"
: "${SHOAL_HTTP_TOKEN:?set SHOAL_HTTP_TOKEN (16+ characters) to protect /metrics and /state}"
if [ ! -f /data/invite ]; then shoal join "$SHOAL_INVITE" --dir /data --no-udp; fi
# shellcheck disable=SC2086 # word splitting of the URL lists is intended
exec node /shoal/apps/cli/bin/shoal.js agent --dir /data --no-udp \
  --ws-listen "0.0.0.0:${SHOAL_WS_PORT:-8080}" --http 0.0.0.0:9090 --chat \
  ${SHOAL_HUBS:+--hubs $SHOAL_HUBS} ${SHOAL_PUBLIC_HUBS:+--chat-hubs $SHOAL_PUBLIC_HUBS}
