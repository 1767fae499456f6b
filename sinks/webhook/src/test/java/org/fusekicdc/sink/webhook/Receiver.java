package org.fusekicdc.sink.webhook;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A real HTTP receiver for the tests (JDK HttpServer on a loopback port): records every request
 * and answers as its {@link Behaviour} says (fail, answer late, ask to wait ...).
 */
final class Receiver implements AutoCloseable {
    /** One request as received. */
    record Request(long nanos, Map<String, String> headers, byte[] body) {
        String header(String name) {
            return headers.get(name.toLowerCase(java.util.Locale.ROOT));
        }
        long version() {
            return Long.parseLong(header("cdc-version"));
        }
    }

    /** How to answer a request: a status, optional Retry-After, optional delay before answering. */
    record Answer(int status, String retryAfter, long delayMillis) {
        static final Answer OK = new Answer(200, null, 0);
        static Answer status(int s) {
            return new Answer(s, null, 0);
        }
    }

    @FunctionalInterface
    interface Behaviour {
        /** @param n how many requests for this cdc-version arrived before this one */
        Answer answer(Request r, int n);
    }

    final List<Request> requests = Collections.synchronizedList(new ArrayList<>());
    private final Map<String, Integer> perVersion = new LinkedHashMap<>();
    private final HttpServer server;
    private volatile Behaviour behaviour;

    Receiver(Behaviour behaviour) throws IOException {
        this.behaviour = behaviour;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/hook", this::handle);
        server.setExecutor(Executors.newCachedThreadPool());
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
    }

    void behave(Behaviour b) {
        this.behaviour = b;
    }

    private void handle(HttpExchange ex) throws IOException {
        byte[] body;
        try (InputStream in = ex.getRequestBody()) {
            body = in.readAllBytes();
        }
        Map<String, String> headers = new LinkedHashMap<>();
        ex.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), v.get(0)));
        Request r = new Request(System.nanoTime(), headers, body);
        requests.add(r);
        int n;
        synchronized (perVersion) {
            n = perVersion.merge(r.header("cdc-version") + "", 1, Integer::sum) - 1;
        }
        Answer a = behaviour.answer(r, n);
        try {
            if ( a.delayMillis() > 0 )
                Thread.sleep(a.delayMillis());
            if ( a.retryAfter() != null )
                ex.getResponseHeaders().add("Retry-After", a.retryAfter());
            byte[] reply = (a.status() / 100 == 2 ? "ok" : "no: status " + a.status()).getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(a.status(), reply.length);
            ex.getResponseBody().write(reply);
        } catch (InterruptedException | IOException e) {
            // The sender gave up on this request.
        } finally {
            ex.close();
        }
    }

    /** What a receiver does with the signature: HMAC-SHA256 of the raw body, compared in constant time. */
    static boolean verify(byte[] secret, byte[] body, String signatureHeader) throws Exception {
        if ( signatureHeader == null || !signatureHeader.startsWith("sha256=") )
            return false;
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret, "HmacSHA256"));
        byte[] expected = mac.doFinal(body);
        byte[] given = HexFormat.of().parseHex(signatureHeader.substring("sha256=".length()));
        return MessageDigest.isEqual(expected, given);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
