package io.github.ffmreactor.bench;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SelectStrategy;
import io.netty.channel.SelectStrategyFactory;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The Netty 4.2 echo server as its own examples write it: one event loop thread (accepting and
 * serving), pooled direct buffers, write on read and flush on read-complete, TCP_NODELAY. On the
 * native epoll transport (edge-triggered, Netty's default) or on NIO; on epoll optionally with
 * Netty's busy-wait select strategy (its event loop never sleeps in epoll_wait).
 */
final class NettyEchoServer implements ServerMain.Running {
    private final EventLoopGroup group;
    private final Channel channel;

    @ChannelHandler.Sharable
    static final class Echo extends ChannelInboundHandlerAdapter {
        static final Echo INSTANCE = new Echo();

        @Override
        @SuppressWarnings("FutureReturnValueIgnored") // voidPromise: no future to check; a failed write fires exceptionCaught
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.write(msg, ctx.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ChannelFuture unused = ctx.close(); // closing a broken connection: nothing to do if that fails
        }
    }

    /** Which Netty transport serves. */
    enum Transport { NIO, EPOLL, IO_URING }

    private NettyEchoServer(InetSocketAddress addr, Transport t, boolean busyWait) throws InterruptedException {
        SelectStrategyFactory busy = () -> (selectSupplier, hasTasks) -> SelectStrategy.BUSY_WAIT;
        group = new MultiThreadIoEventLoopGroup(1, switch (t) {
            case NIO -> NioIoHandler.newFactory();
            case EPOLL -> busyWait ? EpollIoHandler.newFactory(0, busy) : EpollIoHandler.newFactory();
            case IO_URING -> IoUringIoHandler.newFactory();
        });
        ServerBootstrap b = new ServerBootstrap()
                .group(group, group)
                .channel(switch (t) {
                    case NIO -> NioServerSocketChannel.class;
                    case EPOLL -> EpollServerSocketChannel.class;
                    case IO_URING -> IoUringServerSocketChannel.class;
                })
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(Echo.INSTANCE);
                    }
                });
        channel = b.bind(addr).sync().channel();
    }

    static NettyEchoServer start(InetSocketAddress addr, Transport t, boolean busyWait) throws InterruptedException {
        if (busyWait && t != Transport.EPOLL) throw new IllegalArgumentException("busy-wait is an epoll select strategy, not " + t);
        return new NettyEchoServer(addr, t, busyWait);
    }

    @Override
    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    @Override
    public String stats() {
        return "none";
    }

    @Override
    public void close() {
        try {
            channel.close().sync();
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Future<?> unused = group.shutdownGracefully(0, 0, TimeUnit.SECONDS); // no waiting: interrupted
            Thread.currentThread().interrupt();
        }
    }
}
