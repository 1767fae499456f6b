package org.fusekicdc.sink.kinesis;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP path to a service that a test can cut ({@link #stop}: the port refuses connections and
 * open ones are closed) and restore ({@link #start}, same port): an outage of the service as the
 * sink sees it, without waiting for the service's own start-up.
 */
final class TcpGateway implements AutoCloseable {
    private final int targetPort;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private ServerSocket server;
    private int port;

    TcpGateway(int targetPort) throws IOException {
        this.targetPort = targetPort;
        start();
    }

    synchronized void start() throws IOException {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress("127.0.0.1", port));
        port = s.getLocalPort();
        server = s;
        Thread.ofVirtual().name("gateway-accept").start(() -> accept(s));
    }

    private void accept(ServerSocket s) {
        while ( !s.isClosed() ) {
            try {
                Socket down = s.accept();
                Socket up = new Socket("127.0.0.1", targetPort);
                open.add(down);
                open.add(up);
                Thread.ofVirtual().start(() -> pipe(down, up));
                Thread.ofVirtual().start(() -> pipe(up, down));
            } catch (IOException ex) {
                // Closed by stop(), or the service refused: the client sees its connection end.
            }
        }
    }

    private void pipe(Socket from, Socket to) {
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            in.transferTo(out);
        } catch (IOException ex) {
            // One side closed.
        } finally {
            close(from);
            close(to);
        }
    }

    private void close(Socket s) {
        open.remove(s);
        try {
            s.close();
        } catch (IOException ex) {
            // Already closed.
        }
    }

    synchronized void stop() {
        try {
            server.close();
        } catch (IOException ex) {
            // Already closed.
        }
        open.forEach(this::close);
    }

    String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    @Override
    public void close() {
        stop();
    }
}
