// Where agents reach the host's egress proxy. The gateway keeps the socket in its own
// directory <data_dir>/run/egress/ and the agent backends bind that directory read-only at
// AGENT_EGRESS_DIR (a directory, not the socket file: a proxy restarted by a new gateway
// process re-creates the socket and agents adopted from the old process still see it).
export const AGENT_EGRESS_DIR = '/run/securesphere/egress';
export const EGRESS_SOCKET_NAME = 'egress.sock';
export const AGENT_EGRESS_SOCKET = `${AGENT_EGRESS_DIR}/${EGRESS_SOCKET_NAME}`;
