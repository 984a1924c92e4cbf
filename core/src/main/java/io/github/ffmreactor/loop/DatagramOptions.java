package io.github.ffmreactor.loop;

/**
 * How a UDP socket on a loop receives and sends. Start from {@link #defaults()}.
 *
 * @param receiveBuffer bytes of kernel receive buffer to ask for (SO_RCVBUF), or 0 for the
 *                      system's default ({@code net.core.rmem_default}). Linux doubles what is
 *                      asked and clamps it to twice {@code net.core.rmem_max}; {@link
 *                      Datagram#receiveBuffer()} reads back what was granted. A burst larger than
 *                      the buffer is dropped by the kernel (counted: {@link Datagram#kernelDrops()}).
 * @param batch         datagrams taken per recvmmsg and sent per sendmmsg on Linux (1 still uses
 *                      recvmmsg, one at a time). Other OSes use recvfrom/sendto and ignore it.
 * @param maxDatagram   bytes kept of each datagram; a longer one is cut, counted in {@link
 *                      Datagram#truncated()} and given to {@link DatagramHandler#onTruncated}, not
 *                      to {@code onDatagram}. On Linux each of the {@code batch} receive slots is
 *                      this big (plus one byte): memory per socket is about {@code batch *
 *                      maxDatagram}. The default, 65,535, keeps every UDP datagram whole.
 */
public record DatagramOptions(int receiveBuffer, int batch, int maxDatagram) {
    /** The largest UDP payload (IPv6; 65,507 over IPv4): a datagram this long is never cut. */
    public static final int MAX_UDP_PAYLOAD = 65_535;

    public DatagramOptions {
        if (receiveBuffer < 0) throw new IllegalArgumentException("receiveBuffer < 0: " + receiveBuffer);
        if (batch < 1 || batch > 1024) throw new IllegalArgumentException("batch must be in 1..1024: " + batch);
        if (maxDatagram < 1 || maxDatagram > MAX_UDP_PAYLOAD) {
            throw new IllegalArgumentException("maxDatagram must be in 1.." + MAX_UDP_PAYLOAD + ": " + maxDatagram);
        }
    }

    /** The kernel's receive buffer, 16 datagrams per batch, every datagram kept whole (about 1 MiB per socket on Linux). */
    public static DatagramOptions defaults() {
        return new DatagramOptions(0, 16, MAX_UDP_PAYLOAD);
    }

    /** {@return these options asking for an SO_RCVBUF of {@code bytes} (0: the system default)} */
    public DatagramOptions withReceiveBuffer(int bytes) {
        return new DatagramOptions(bytes, batch, maxDatagram);
    }

    /** {@return these options with {@code n} datagrams per recvmmsg/sendmmsg} */
    public DatagramOptions withBatch(int n) {
        return new DatagramOptions(receiveBuffer, n, maxDatagram);
    }

    /** {@return these options keeping {@code bytes} bytes of each datagram} */
    public DatagramOptions withMaxDatagram(int bytes) {
        return new DatagramOptions(receiveBuffer, batch, bytes);
    }
}
