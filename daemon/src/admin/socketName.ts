/** The admin socket's file name in the state dir (its own module: clients import it cheaply). */
export const ADMIN_SOCKET_NAME = 'admin.sock';
