package org.fusekicdc.sink.kinesis;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * kinesis-local accepts any signature; in front of it, this proxy lets through only requests signed
 * with one access key id, and answers others as Kinesis does a key it does not know
 * ({@code UnrecognizedClientException}, in the request's JSON or CBOR), so that the sink's
 * handling of refused credentials meets a real answer.
 */
final class CredentialCheck implements AutoCloseable {
    private static final Pattern CREDENTIAL = Pattern.compile("Credential=([^/,\\s]+)/");
    private static final Set<String> NOT_FORWARDED = Set.of("host", "content-length", "connection", "expect", "upgrade", "transfer-encoding");
    private static final String CODE = "UnrecognizedClientException";
    private static final String MESSAGE = "The security token included in the request is invalid.";

    private final HttpClient http = HttpClient.newHttpClient();
    private final URI target;
    private final String accessKeyId;
    private HttpServer server;
    private int port;

    CredentialCheck(String target, String accessKeyId) throws IOException {
        this.target = URI.create(target);
        this.accessKeyId = accessKeyId;
        start();
        port = server.getAddress().getPort();
    }

    private void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 50);
        server.createContext("/", this::handle);
        server.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(4));
        server.start();
    }


    String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            byte[] body = ex.getRequestBody().readAllBytes();
            String contentType = ex.getRequestHeaders().getFirst("Content-Type");
            Matcher m = CREDENTIAL.matcher(String.valueOf(ex.getRequestHeaders().getFirst("Authorization")));
            if ( !m.find() || !m.group(1).equals(accessKeyId) ) {
                boolean cbor = contentType != null && contentType.contains("cbor");
                byte[] answer = cbor ? cborError() : ("{\"__type\":\"" + CODE + "\",\"message\":\"" + MESSAGE + "\"}").getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().add("Content-Type", cbor ? "application/x-amz-cbor-1.1" : "application/x-amz-json-1.1");
                ex.getResponseHeaders().add("x-amzn-ErrorType", CODE);
                ex.sendResponseHeaders(400, answer.length);
                ex.getResponseBody().write(answer);
                return;
            }
            HttpRequest.Builder req = HttpRequest.newBuilder(target.resolve(ex.getRequestURI()))
                                                 .method(ex.getRequestMethod(), HttpRequest.BodyPublishers.ofByteArray(body));
            ex.getRequestHeaders().forEach((name, values) -> {
                if ( !NOT_FORWARDED.contains(name.toLowerCase()) )
                    values.forEach(v -> req.header(name, v));
            });
            HttpResponse<byte[]> resp = http.send(req.build(), HttpResponse.BodyHandlers.ofByteArray());
            resp.headers().map().forEach((name, values) -> {
                if ( !NOT_FORWARDED.contains(name.toLowerCase()) && !name.equals(":status") )
                    ex.getResponseHeaders().put(name, List.copyOf(values));
            });
            byte[] answer = resp.body();
            ex.sendResponseHeaders(resp.statusCode(), answer.length == 0 ? -1 : answer.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(answer);
            }
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
    }

    /** {"__type": CODE, "message": MESSAGE} in CBOR: a map of two text pairs. */
    private static byte[] cborError() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0xA2);
        for ( String s : List.of("__type", CODE, "message", MESSAGE) ) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            if ( b.length < 24 )
                out.write(0x60 + b.length);
            else {
                out.write(0x78);
                out.write(b.length);
            }
            out.writeBytes(b);
        }
        return out.toByteArray();
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService)server.getExecutor()).shutdownNow();
        http.close();
    }
}
