package org.fusekicdc.source.relational;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP forwarder on a port of 127.0.0.1 to a database server, to imitate the server going away
 * and coming back ({@link #down()}, {@link #up()}) without touching a server other tests share.
 * While down it cuts every connection and closes each new one at once, counting them
 * ({@link #refused()}): a client's reconnection attempts can be waited for.
 */
public final class TcpProxy implements AutoCloseable {
    private final String targetHost;
    private final int targetPort;
    private final ServerSocket server;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final AtomicInteger refused = new AtomicInteger();
    private volatile boolean down;

    public TcpProxy(String targetHost, int targetPort) throws IOException {
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        daemon("tcp-proxy-accept-" + server.getLocalPort(), this::accept);
    }

    /** The address the proxy listens on, for a source's {@code cdc:host}. */
    public String host() {
        return server.getInetAddress().getHostAddress();
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Cut every connection and close new ones at once, as a server that stopped. */
    public void down() throws IOException {
        down = true;
        for ( Socket s : sockets )
            s.close();
        sockets.clear();
    }

    /** Forward new connections again. */
    public void up() {
        down = false;
    }

    /** Connections closed at once since the proxy was made, because it was down. */
    public int refused() {
        return refused.get();
    }

    private void accept() {
        while ( !server.isClosed() ) {
            try {
                Socket client = server.accept();
                if ( down ) {
                    refused.incrementAndGet();
                    client.close();
                    continue;
                }
                Socket target = new Socket(targetHost, targetPort);
                sockets.add(client);
                sockets.add(target);
                daemon("tcp-proxy-up-" + port(), () -> pump(client, target));
                daemon("tcp-proxy-down-" + port(), () -> pump(target, client));
            } catch (IOException ex) {
                // closed by close(), or the target refused: the client sees the connection end
            }
        }
    }

    private void pump(Socket from, Socket to) {
        byte[] buf = new byte[64 * 1024];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int n;
            while ( (n = in.read(buf)) >= 0 ) {
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException ex) {
            // one side closed
        } finally {
            closeQuietly(from);
            closeQuietly(to);
            sockets.remove(from);
            sockets.remove(to);
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ex) {
            // closing anyway
        }
    }

    private static void daemon(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void close() throws IOException {
        server.close();
        down();
    }
}
