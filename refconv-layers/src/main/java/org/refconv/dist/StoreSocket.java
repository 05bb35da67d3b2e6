package org.refconv.dist;

import java.io.FileDescriptor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;

/**
 * The listening socket of rank 0's store, bound to rank 0's own address only. libtorch's TCPStore listens on every
 * interface and has no bind address; it takes a listening socket's file descriptor instead ({@code
 * TCPStoreOptions.masterListenFd}). Java binds the socket (address resolution, IPv4 and IPv6 as the JDK does them)
 * and its descriptor is then handed over: the store closes it, so Java's handle is emptied first and never closes it
 * a second time (a descriptor number closed twice may by then belong to another file).
 *
 * <p>Reading and emptying the descriptor needs the JDK internals that Spark's JVM options already open ({@code
 * --add-opens java.base/sun.nio.ch} and {@code java.base/java.io}, see {@code spark.jvm.flags}).
 */
final class StoreSocket {

    private final ServerSocketChannel channel;
    private final FileDescriptor descriptor;
    private final int fd;

    private StoreSocket(ServerSocketChannel channel, FileDescriptor descriptor, int fd) {
        this.channel = channel;
        this.descriptor = descriptor;
        this.fd = fd;
    }

    /** Binds {@code host:port} (0: any free port) and listens. */
    static StoreSocket bind(String host, int port) {
        ServerSocketChannel ch = null;
        try {
            ch = ServerSocketChannel.open();
            ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            ch.bind(new InetSocketAddress(InetAddress.getByName(host), port));
            Method getFd = ch.getClass().getMethod("getFD");
            getFd.setAccessible(true);
            FileDescriptor d = (FileDescriptor) getFd.invoke(ch);
            return new StoreSocket(ch, d, fdField().getInt(d));
        } catch (IOException e) {
            close(ch);
            throw new UncheckedIOException("cannot listen on " + host + ":" + port + " for the store", e);
        } catch (ReflectiveOperationException | RuntimeException e) {
            close(ch);
            throw new IllegalStateException(
                    "cannot read the store socket's descriptor: run with Spark's JVM options"
                            + " (--add-opens java.base/sun.nio.ch=ALL-UNNAMED --add-opens java.base/java.io=ALL-UNNAMED)",
                    e);
        }
    }

    int port() {
        return channel.socket().getLocalPort();
    }

    int fd() {
        return fd;
    }

    /** The store owns the descriptor from now on: Java's handle forgets it. */
    void handOver() {
        try {
            fdField().setInt(descriptor, -1);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot release the store socket's descriptor", e);
        }
    }

    /** Closes the socket while Java still owns it (the store was not created). */
    void closeUnclaimed() {
        close(channel);
    }

    private static Field fdField() throws NoSuchFieldException {
        Field f = FileDescriptor.class.getDeclaredField("fd");
        f.setAccessible(true);
        return f;
    }

    private static void close(ServerSocketChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // Nothing was handed over yet: a failed close leaves nothing to clean up.
            }
        }
    }
}
