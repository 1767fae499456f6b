package org.fusekicdc.sink.webhook;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.UnaryOperator;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.apache.jena.rdfpatch.RDFChanges;
import org.fusekicdc.core.wire.CloudEvents;
import org.fusekicdc.core.wire.PatchMessages;
import org.fusekicdc.core.wire.PatchRecord;
import org.fusekicdc.core.sink.Sink;
import org.fusekicdc.core.sink.SinkException;
import org.fusekicdc.core.internal.time.Sleeper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * POSTs patches (one per request, or batches) to one or more HTTP endpoints, signed with
 * HMAC-SHA256, filtered by graph and predicate when configured.
 * <p>
 * Each endpoint must answer 2xx before the next patch: on 5xx, 408, 429 and network errors the
 * request is retried here with exponential backoff and jitter (honouring Retry-After), up to
 * {@code cdc:maxAttempts}; then the patch counts as undeliverable (permanent: the dead-letter
 * directory, or the sink pauses). 401 and 403 (secret or authorisation wrong), 404, 405, 410
 * and redirects (wrong URL) pause the sink: every patch would fail alike. Other 4xx refuse this
 * patch (permanent for the patch). A receiver can get a patch more than once (a response lost
 * after it was handled, a server restart before the cursor was written): it deduplicates by
 * patch id. The destination cannot say what it holds, so {@link #open} returns {@link #UNKNOWN}.
 */
public final class WebhookSink implements Sink {
    private static final Logger LOG = LoggerFactory.getLogger(WebhookSink.class);

    public static final String SIGNATURE = "cdc-signature";
    /** Batches: the first version in the body ({@code cdc-version} is the last). */
    public static final String FIRST_VERSION = "cdc-first-version";
    /** Batches: the number of patches in the body. */
    public static final String COUNT = "cdc-count";
    public static final String SIGNATURE_SCHEME = "sha256=";
    /** Standard Webhooks: the message id (the last patch's id; the same on every retry). */
    public static final String WEBHOOK_ID = "webhook-id";
    /** Standard Webhooks: when the attempt was signed, in seconds since the epoch. */
    public static final String WEBHOOK_TIMESTAMP = "webhook-timestamp";
    /** Standard Webhooks: {@code v1,<base64 signature>}. */
    public static final String WEBHOOK_SIGNATURE = "webhook-signature";

    private static final HexFormat HEX = HexFormat.of();

    private final WebhookSinkConfig config;
    private final InstantSource clock;
    private final Sleeper sleeper;
    private final List<Endpoint> endpoints = new ArrayList<>();
    private HttpClient client;

    /** One receiver: the last version it acknowledged while this sink was open, and its rate limit. */
    private static final class Endpoint {
        final URI uri;
        long acknowledged = -1;
        // When the rate limit lets the next request go; null before the first.
        Instant nextRequest;

        Endpoint(URI uri) {
            this.uri = uri;
        }
    }

    public WebhookSink(WebhookSinkConfig config) {
        this(config, InstantSource.system(), Sleeper.SYSTEM);
    }

    /** A sink whose rate limit and retry delays follow {@code clock} and wait with {@code sleeper}. */
    WebhookSink(WebhookSinkConfig config, InstantSource clock, Sleeper sleeper) {
        this.config = config;
        this.clock = clock;
        this.sleeper = sleeper;
        config.endpoints().forEach(u -> endpoints.add(new Endpoint(u)));
        LOG.info("Dataset '{}': webhook sink '{}': {}", config.dataset(), config.sinkName(), config.describe());
    }

    @Override
    public String name() {
        return config.sinkName();
    }

    @Override
    public long open() {
        close();
        client = HttpClient.newBuilder().connectTimeout(config.connectTimeout()).followRedirects(HttpClient.Redirect.NEVER).build();
        return UNKNOWN;
    }

    @Override
    public int maxBatch() {
        return config.batchMaxPatches();
    }

    @Override
    public void deliver(PatchRecord patch) throws SinkException {
        deliver(List.of(patch));
    }

    @Override
    public void deliver(List<PatchRecord> patches) throws SinkException {
        if ( client == null )
            throw SinkException.transientFailure("the sink is not open", null);
        PatchRecord first = patches.get(0), last = patches.get(patches.size() - 1);
        byte[] body = body(patches);
        if ( body == null ) {
            LOG.debug("Dataset '{}': webhook sink '{}': versions {}..{} hold nothing the filters let through; not sent", config.dataset(), name(),
                      first.version(), last.version());
            return;
        }
        Map<String, String> headers = headers(first, last, patches.size(), body);
        for ( Endpoint e : endpoints ) {
            if ( e.acknowledged >= last.version() )
                continue;  // took it before another endpoint failed
            post(e, headers, body, first.version(), last.version());
            e.acknowledged = last.version();
        }
    }

    // ---- The request

    /** The request body, or null when the filters left nothing and empty patches are not sent. */
    private byte[] body(List<PatchRecord> patches) throws SinkException {
        Bounded out = new Bounded(config.maxBodyBytes());
        boolean anything = false;
        for ( PatchRecord p : patches ) {
            Bounded one = null;
            try {
                if ( !config.filters() ) {
                    write(p, UnaryOperator.identity(), out);
                    anything = true;
                    continue;
                }
                PatchFilter[] filter = new PatchFilter[1];
                one = new Bounded(config.maxBodyBytes());
                write(p, changes -> filter[0] = new PatchFilter(changes, config.graphs(), config.predicates()), one);
                long passed = filter[0].passed();
                if ( passed > 0 || config.sendEmptyPatches() ) {
                    one.writeTo(out);
                    anything = true;
                }
            } catch (IOException | RuntimeException ex) {
                if ( out.overflowed || (one != null && one.overflowed) )
                    throw SinkException.permanentFailure(
                        (patches.size() == 1 ? "patch version " + p.version() : "versions " + patches.get(0).version() + ".." + patches.getLast().version())
                        + " make a request body over cdc:" + WebhookSinkConfig.MAX_BODY_BYTES.name() + " (" + config.maxBodyBytes() + " bytes)"
                        + (patches.size() == 1 ? ". Raise cdc:" + WebhookSinkConfig.MAX_BODY_BYTES.name() + " (and the receivers' limit), or configure a dead-letter directory for such patches"
                                               : "; sending them one at a time"), null);
                if ( ex instanceof IOException io )
                    throw SinkException.transientFailure("cannot read patch version " + p.version() + " from the change log: " + io, io);
                throw SinkException.permanentFailure("patch version " + p.version() + " cannot be read or filtered: " + ex, ex);
            }
        }
        return anything ? out.toByteArray() : null;
    }

    /** One patch's part of the body: as cdc:format makes it, or as a structured CloudEvent. */
    private void write(PatchRecord p, UnaryOperator<RDFChanges> filter, OutputStream out) throws IOException {
        if ( config.structured() )
            config.cloudEvents().orElseThrow().writeStructured(p, config.messageFormat(), filter, out);
        else
            config.messageFormat().write(p, filter, out);
    }

    /** The body's media type. */
    private String contentType() {
        return config.structured() ? CloudEvents.STRUCTURED_CONTENT_TYPE : config.contentType();
    }

    private Map<String, String> headers(PatchRecord first, PatchRecord last, int count, byte[] body) {
        Map<String, String> h = new LinkedHashMap<>();
        h.put(PatchMessages.ID, last.meta().id().toString());
        if ( first.meta().prevId() != null )
            h.put(PatchMessages.PREV, first.meta().prevId().toString());
        h.put(PatchMessages.VERSION, Long.toString(last.version()));
        if ( count > 1 ) {
            h.put(FIRST_VERSION, Long.toString(first.version()));
            h.put(COUNT, Integer.toString(count));
        }
        h.put(PatchMessages.DATASET, headerValue(last.dataset()));
        h.put(PatchMessages.TIMESTAMP, Instant.ofEpochMilli(last.meta().timestamp()).toString());
        h.put(SIGNATURE, SIGNATURE_SCHEME + sign(config.secret(), body));
        if ( !config.structured() )
            config.cloudEvents().ifPresent(ce -> CloudEvents.binaryHeaders(CloudEvents.Binding.HTTP, ce.attributes(last, config.messageFormat())).forEach((k, v) -> {
                if ( !k.equals(CloudEvents.Binding.HTTP.contentTypeHeader()) )
                    h.put(k, headerValue(v));
            }));
        return h;
    }

    /** Hex HMAC-SHA256 of {@code body} with {@code secret}: the value after {@code sha256=} in {@code cdc-signature}. */
    public static String sign(byte[] secret, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return HEX.formatHex(mac.doFinal(body));
        } catch (NoSuchAlgorithmException | InvalidKeyException ex) {
            throw new IllegalStateException("HmacSHA256 is not available: " + ex, ex);
        }
    }

    /**
     * The Standard Webhooks headers of a request: {@code webhook-id}, {@code webhook-timestamp}
     * (seconds) and {@code webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">}.
     */
    public static Map<String, String> standardWebhooksHeaders(byte[] key, String id, long timestampSeconds, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update((id + "." + timestampSeconds + ".").getBytes(StandardCharsets.UTF_8));
            String signature = Base64.getEncoder().encodeToString(mac.doFinal(body));
            return Map.of(WEBHOOK_ID, id, WEBHOOK_TIMESTAMP, Long.toString(timestampSeconds), WEBHOOK_SIGNATURE, "v1," + signature);
        } catch (NoSuchAlgorithmException | InvalidKeyException ex) {
            throw new IllegalStateException("HmacSHA256 is not available: " + ex, ex);
        }
    }

    /** Header values are ASCII: percent-encode (UTF-8) anything outside printable ASCII, and '%'. */
    static String headerValue(String s) {
        StringBuilder sb = new StringBuilder();
        for ( byte b : s.getBytes(StandardCharsets.UTF_8) ) {
            int c = b & 0xff;
            if ( c < 0x20 || c > 0x7e || c == '%' )
                sb.append('%').append(HEX.toHexDigits((byte)c).toUpperCase(java.util.Locale.ROOT));
            else
                sb.append((char)c);
        }
        return sb.toString();
    }

    // ---- Sending with retries

    private void post(Endpoint e, Map<String, String> headers, byte[] body, long first, long last) throws SinkException {
        String what = (first == last ? "version " + last : "versions " + first + ".." + last) + " to " + e.uri;
        HttpRequest.Builder rb = HttpRequest.newBuilder(e.uri).timeout(config.requestTimeout())
                                            .header("Content-Type", contentType())
                                            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(rb::header);
        long backoff = config.backoffInitial().toMillis();
        String lastProblem = null;
        for ( int attempt = 1 ; ; attempt++ ) {
            long retryAfterMillis = 0;
            try {
                awaitRate(e);
                HttpResponse<String> response = client.send(signed(rb, headers.get(PatchMessages.ID), body), HttpResponse.BodyHandlers.ofString());
                int status = response.statusCode();
                if ( status / 100 == 2 ) {
                    if ( attempt > 1 )
                        LOG.info("Dataset '{}': webhook sink '{}': {} accepted ({}) at attempt {}", config.dataset(), name(), what, status, attempt);
                    return;
                }
                String answer = status + snippet(response.body());
                if ( status == 401 || status == 403 )
                    throw SinkException.permanentSinkFailure(what + " was refused with " + answer + ": the receiver does not accept the signature or"
                                                             + " this sender. Check that it verifies cdc-signature with the secret in " + config.secretSource()
                                                             + " (cdc:" + WebhookSinkConfig.SECRET_ENV.name() + "), then resume the sink", null);
                if ( status == 404 || status == 405 || status == 410 || status / 100 == 3 )
                    throw SinkException.permanentSinkFailure(what + " got " + answer
                                                             + (status / 100 == 3 ? " (redirect to " + response.headers().firstValue("Location").orElse("?") + ")" : "")
                                                             + ": the URL is not a receiver that accepts POST. Fix cdc:" + WebhookSinkConfig.URL.name()
                                                             + ", then resume the sink", null);
                if ( status / 100 == 4 && status != 408 && status != 429 )
                    throw SinkException.permanentFailure(what + " was refused with " + answer + " (a client error, not retried): the receiver does not"
                                                         + " accept this patch. Fix the receiver, then resume the sink; or configure a dead-letter"
                                                         + " directory for such patches", null);
                retryAfterMillis = retryAfter(response, clock.instant());
                lastProblem = "HTTP " + answer;
            } catch (HttpTimeoutException ex) {
                lastProblem = "no response within " + config.requestTimeout().toSeconds() + " s (cdc:" + WebhookSinkConfig.REQUEST_TIMEOUT_SECONDS.name() + ")";
            } catch (IOException ex) {
                lastProblem = "cannot reach the endpoint (" + ex + ")";
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw SinkException.transientFailure(what + ": interrupted", ex);
            }
            if ( attempt >= config.maxAttempts() )
                throw SinkException.permanentFailure(what + " failed " + attempt + " times (cdc:" + WebhookSinkConfig.MAX_ATTEMPTS.name() + "), last: " + lastProblem
                                                     + ". Check the receiver, then resume the sink (patches not delivered are kept);"
                                                     + " with a dead-letter directory such patches are written there instead", null);
            long wait = Math.min(config.backoffMax().toMillis(),
                                 Math.max(retryAfterMillis, (long)(backoff * (0.8 + 0.4 * ThreadLocalRandom.current().nextDouble()))));
            LOG.warn("Dataset '{}': webhook sink '{}': {} failed (attempt {} of {}): {}; retrying in {} ms", config.dataset(), name(), what, attempt,
                     config.maxAttempts(), lastProblem, wait);
            backoff = Math.min(backoff * 2, config.backoffMax().toMillis());
            try {
                sleeper.sleep(Duration.ofMillis(wait));
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw SinkException.transientFailure(what + ": interrupted while waiting to retry", ex);
            }
        }
    }

    /** The request; with a Standard Webhooks secret, signed now (receivers refuse old timestamps, so each retry is signed anew). */
    private HttpRequest signed(HttpRequest.Builder rb, String id, byte[] body) {
        if ( config.standardWebhooksKey() == null )
            return rb.build();
        HttpRequest.Builder b = rb.copy();
        standardWebhooksHeaders(config.standardWebhooksKey(), id, clock.instant().getEpochSecond(), body).forEach(b::setHeader);
        return b.build();
    }

    /** Wait until this endpoint may get another request. */
    private void awaitRate(Endpoint e) throws InterruptedException {
        if ( config.maxRequestsPerSecond() <= 0 )
            return;
        Duration interval = Duration.ofNanos((long)(1e9 / config.maxRequestsPerSecond()));
        Instant now = clock.instant();
        if ( e.nextRequest != null && now.isBefore(e.nextRequest) ) {
            Duration wait = Duration.between(now, e.nextRequest);
            // At most one interval: a wall clock set back must not hold the requests back.
            sleeper.sleep(wait.compareTo(interval) < 0 ? wait : interval);
        }
        e.nextRequest = (e.nextRequest == null || now.isAfter(e.nextRequest) ? now : e.nextRequest).plus(interval);
    }

    /** Retry-After in milliseconds (seconds, or an HTTP date after {@code now}); 0 when absent or unreadable. */
    static long retryAfter(HttpResponse<?> response, Instant now) {
        String v = response.headers().firstValue("Retry-After").orElse(null);
        if ( v == null )
            return 0;
        v = v.trim();
        try {
            return Math.max(0, Long.parseLong(v)) * 1000;
        } catch (NumberFormatException ex) {
            try {
                return Math.max(0, Duration.between(now, ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant()).toMillis());
            } catch (DateTimeParseException ex2) {
                return 0;
            }
        }
    }

    private static String snippet(String body) {
        if ( body == null || body.isBlank() )
            return "";
        String b = body.strip().replaceAll("\\s+", " ");
        return " \"" + (b.length() > 200 ? b.substring(0, 200) + "..." : b) + "\"";
    }

    @Override
    public void close() {
        HttpClient c = client;
        client = null;
        endpoints.forEach(e -> e.acknowledged = -1);
        if ( c != null )
            c.close();
    }

    /** A byte buffer that refuses to grow past a bound. */
    private static final class Bounded extends ByteArrayOutputStream {
        private final int max;
        boolean overflowed;

        Bounded(int max) {
            this.max = max;
        }

        @Override
        public synchronized void write(int b) {
            check(1);
            super.write(b);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            check(len);
            super.write(b, off, len);
        }

        private void check(int more) {
            if ( count + more > max ) {
                overflowed = true;
                throw new IllegalStateException("request body over " + max + " bytes");
            }
        }
    }
}
