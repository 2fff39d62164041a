import type { Socket } from 'node:dgram';
import { ErrorCode, ShoalError } from '@shoal/core';

/** Binds `socket`, turning a bind failure into a `TRANSPORT` {@link ShoalError}. */
export function bindSocket(socket: Socket, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      reject(
        new ShoalError(ErrorCode.Transport, `cannot bind UDP ${address}:${port}: ${error.message}`, {
          cause: error,
        }),
      );
    };
    socket.once('error', onError);
    socket.bind({ port, address, exclusive: false }, () => {
      socket.off('error', onError);
      resolve();
    });
  });
}

/** Closes `socket`; resolves once it is closed (at once if it already was). */
export function closeSocket(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      // ERR_SOCKET_DGRAM_NOT_RUNNING: already closed, which is the state we want.
      resolve();
    }
  });
}

/**
 * Asks for `bytes` of SO_RCVBUF and SO_SNDBUF. Larger buffers absorb bursts between event-loop
 * turns; the OS caps the request for unprivileged processes (Linux: rmem_max/wmem_max) and a
 * refusal is not fatal, so failures are ignored and the granted sizes are read back instead.
 */
export function enlargeBuffers(socket: Socket, bytes: number): void {
  try {
    socket.setRecvBufferSize(bytes);
  } catch {
    // Keep the OS default: smaller bursts are absorbed, nothing else changes.
  }
  try {
    socket.setSendBufferSize(bytes);
  } catch {
    // Keep the OS default, as above.
  }
}

/** Granted buffer sizes of a bound socket, or zeros once it is closed. */
export function bufferSizes(socket: Socket): { receive: number; send: number } {
  try {
    return { receive: socket.getRecvBufferSize(), send: socket.getSendBufferSize() };
  } catch {
    return { receive: 0, send: 0 };
  }
}
