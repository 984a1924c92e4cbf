/**
 * Sockets as plain fds: TCP, UDP and Unix domain stream sockets, each non-blocking and
 * close-on-exec from birth, with their options and addresses. {@link io.github.ffmreactor.net.SocketIo}
 * is the one facade through which the loop makes its socket calls, on POSIX fds and Windows
 * SOCKET handles alike; {@link io.github.ffmreactor.net.Fds} closes them (every fd has one owner,
 * which closes it once); {@link io.github.ffmreactor.net.DatagramBatch} holds the arrays that
 * {@code recvmmsg} and {@code sendmmsg} fill. A failure is a {@code NativeException} naming the call
 * and the errno; EAGAIN is a return value.
 *
 * <p>Not exported: the loop's channels are the API.
 */
package io.github.ffmreactor.net;
