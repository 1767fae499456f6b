package org.fusekicdc.sink.webhook;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.irix.IRIs;
import org.apache.jena.sparql.core.Quad;
import org.fusekicdc.core.wire.CloudEvents;
import org.fusekicdc.core.wire.FormatOptions;
import org.fusekicdc.core.wire.MessageFormat;
import org.fusekicdc.core.wire.MessageFormats;
import org.fusekicdc.core.config.Option;
import org.fusekicdc.core.config.OptionValues;

/**
 * The settings of one webhook sink, read from its {@code cdc:} options and checked all at once.
 * Each option is declared once, in {@link #OPTIONS}; {@code docs/sinks.md} is checked against it.
 *
 * @param dataset          the dataset's name
 * @param sinkName         the sink's name
 * @param endpoints        the URLs every patch is POSTed to
 * @param secret           the HMAC-SHA256 key (never shown)
 * @param secretSource     where the secret comes from, for messages
 * @param contentType      the media type of {@code messageFormat}
 * @param batchMaxPatches  most patches in one request
 * @param graphs           graphs a receiver gets changes of (empty: all); {@link Quad#defaultGraphIRI} for the default graph
 * @param predicates       predicates a receiver gets changes of (empty: all)
 * @param sendEmptyPatches send a patch that the filters left without changes
 * @param maxAttempts      attempts per endpoint before the patch counts as undeliverable
 * @param backoffInitial   first wait before a retry
 * @param backoffMax       longest wait before a retry
 * @param connectTimeout   connecting
 * @param requestTimeout   longest wait for a response
 * @param maxRequestsPerSecond per endpoint; 0 for no limit
 * @param maxBodyBytes     largest request body
 * @param messageFormat    what the body holds (the event's data in structured mode)
 * @param cloudEvents      the CloudEvents attributes, when configured
 * @param structured       CloudEvents in structured content mode (the event as the body) rather than binary ({@code ce-} headers)
 * @param standardWebhooksKey the Standard Webhooks signing key (the bytes of a {@code whsec_} secret), or null for none
 */
public record WebhookSinkConfig(String dataset, String sinkName, List<URI> endpoints, byte[] secret, String secretSource, String contentType,
                                int batchMaxPatches, Set<Node> graphs, Set<Node> predicates, boolean sendEmptyPatches, int maxAttempts,
                                Duration backoffInitial, Duration backoffMax, Duration connectTimeout, Duration requestTimeout,
                                double maxRequestsPerSecond, int maxBodyBytes, MessageFormat messageFormat,
                                Optional<CloudEvents> cloudEvents, boolean structured, byte[] standardWebhooksKey) {

    /** The word that stands for the default graph in {@code cdc:graphs}. */
    public static final String DEFAULT_GRAPH = "default";

    public static final Option<String> URL = Option.required("url", "string",
        "Receiver URL (http:// or https://), or several separated by spaces or commas; each gets every patch. No credentials in it.");
    public static final Option<String> SECRET_ENV = Option.required("secretEnv", "string (variable name)",
        "Name of the environment variable holding the shared secret; each request carries cdc-signature: sha256=<hex HMAC-SHA256 of the body>.");
    public static final Option<String> FORMAT = FormatOptions.FORMAT;
    public static final Option<String> STANDARD_WEBHOOKS_SECRET_ENV = Option.withoutDefault("standardWebhooksSecretEnv", "string (variable name)", "none",
        "Name of the environment variable holding a Standard Webhooks secret (whsec_<base64>); each request then also carries webhook-id (the last patch's id),"
        + " webhook-timestamp and webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body>, beside cdc-signature.");
    public static final Option<Long> BATCH_MAX_PATCHES = Option.integer("batchMaxPatches", "integer", 1,
        "Most patches in one request; more than 1 sends the patches waiting, in order, one after another in one body.").range(1, 10_000);
    public static final Option<String> GRAPHS = Option.withoutDefault("graphs", "IRIs (spaces or commas)", "none (all graphs)",
        "Send only changes in these named graphs; the word default stands for the default graph.");
    public static final Option<String> PREDICATES = Option.withoutDefault("predicates", "IRIs (spaces or commas)", "none (all predicates)",
        "Send only changes whose predicate is one of these.");
    public static final Option<Boolean> SEND_EMPTY_PATCHES = Option.bool("sendEmptyPatches", false,
        "Send a patch the filters left without changes (headers only). When false it is skipped and counts as delivered.");
    public static final Option<Long> MAX_ATTEMPTS = Option.integer("maxAttempts", "integer", 10,
        "Attempts per endpoint on 5xx, 408, 429 and network errors before the patch counts as undeliverable (dead-letter directory, or the sink pauses).")
        .range(1, 1_000_000);
    public static final Option<Long> BACKOFF_INITIAL_MILLIS = Option.integer("backoffInitialMillis", "integer (ms)", 500,
        "First wait before a retry; doubled after each failure up to backoffMaxMillis, with jitter. A longer Retry-After is honoured.")
        .range(1, 3_600_000);
    public static final Option<Long> BACKOFF_MAX_MILLIS = Option.integer("backoffMaxMillis", "integer (ms)", 60_000,
        "Longest wait before a retry (Retry-After included).").range(1, 3_600_000);
    public static final Option<Long> CONNECT_TIMEOUT_SECONDS = Option.integer("connectTimeoutSeconds", "integer (seconds)", 10,
        "Timeout to connect to an endpoint.").range(1, 600);
    public static final Option<Long> REQUEST_TIMEOUT_SECONDS = Option.integer("requestTimeoutSeconds", "integer (seconds)", 30,
        "Longest wait for an endpoint's response; then the request is retried.").range(1, 3600);
    public static final Option<String> MAX_REQUESTS_PER_SECOND = Option.text("maxRequestsPerSecond", "number", "0",
        "Most requests per second to each endpoint, retries included.")
        .defaultText("0 (no limit)");
    public static final Option<Long> MAX_BODY_BYTES = Option.integer("maxBodyBytes", "integer (bytes)", 16L * 1024 * 1024,
        "Largest request body; a larger patch is undeliverable (dead-letter directory, or the sink pauses). A larger batch is sent one patch at a time.")
        .range(1024, Integer.MAX_VALUE - 8);

    /** Every option, in documentation order. */
    public static final List<Option<?>> OPTIONS = List.of(
        URL, SECRET_ENV, FORMAT, BATCH_MAX_PATCHES, GRAPHS, PREDICATES, SEND_EMPTY_PATCHES, MAX_ATTEMPTS,
        BACKOFF_INITIAL_MILLIS, BACKOFF_MAX_MILLIS, CONNECT_TIMEOUT_SECONDS, REQUEST_TIMEOUT_SECONDS, MAX_REQUESTS_PER_SECOND,
        MAX_BODY_BYTES, STANDARD_WEBHOOKS_SECRET_ENV, FormatOptions.CLOUD_EVENTS, FormatOptions.CLOUD_EVENTS_MODE, FormatOptions.CLOUD_EVENTS_SOURCE,
        FormatOptions.CLOUD_EVENTS_TYPE);

    /** The prefix of a Standard Webhooks secret. */
    public static final String WHSEC_PREFIX = "whsec_";

    private static final Pattern LIST = Pattern.compile("[\\s,]+");

    public String describe() {
        return "endpoints " + endpoints + ", secret from " + secretSource + ", format " + messageFormat.name()
               + ", cloudEvents " + cloudEvents.map(ce -> (structured ? "structured " : "binary ") + ce).orElse("none")
               + ", standardWebhooks " + (standardWebhooksKey != null) + ", batchMaxPatches " + batchMaxPatches
               + ", graphs " + (graphs.isEmpty() ? "all" : graphs) + ", predicates " + (predicates.isEmpty() ? "all" : predicates)
               + ", sendEmptyPatches " + sendEmptyPatches + ", maxAttempts " + maxAttempts + ", backoff " + backoffInitial + ".." + backoffMax
               + ", requestTimeout " + requestTimeout + ", maxRequestsPerSecond " + (maxRequestsPerSecond == 0 ? "no limit" : maxRequestsPerSecond)
               + ", maxBodyBytes " + maxBodyBytes;
    }

    @Override
    public String toString() {
        return "WebhookSinkConfig[" + describe() + "]";
    }

    /** True when a filter is set: the patch is rewritten with the matching changes only. */
    public boolean filters() {
        return !graphs.isEmpty() || !predicates.isEmpty();
    }

    public static WebhookSinkConfig from(String dataset, OptionValues options, Function<String, String> environment) {
        List<URI> endpoints = endpoints(options);
        String envName = options.required(SECRET_ENV.name(), "\"WEBHOOK_SECRET\" (the name of the variable that holds the secret)").trim();
        String secret = options.secretFromVariable(SECRET_ENV.name(), "WEBHOOK_SECRET", environment);
        MessageFormat format = FormatOptions.patchFormat(options);
        Optional<CloudEvents> cloudEvents = FormatOptions.cloudEvents(dataset, options);
        boolean structured = cloudEvents.isPresent() && options.oneOf(FormatOptions.CLOUD_EVENTS_MODE).equals(FormatOptions.STRUCTURED);
        int batch = (int)options.number(BATCH_MAX_PATCHES);
        if ( batch > 1 && (cloudEvents.isPresent() || format == MessageFormats.JSON) )
            throw options.error(BATCH_MAX_PATCHES.name(), "is " + batch + ", but " + (cloudEvents.isPresent() ? "a CloudEvent" : "a JSON change event")
                                                         + " is one patch: each request carries one. Remove cdc:" + BATCH_MAX_PATCHES.name()
                                                         + " (or set it to 1), or use cdc:format text or binary without cdc:" + FormatOptions.CLOUD_EVENTS.name());
        byte[] standardKey = standardWebhooksKey(options, environment);
        Set<Node> graphs = iris(options, GRAPHS.name(), true);
        Set<Node> predicates = iris(options, PREDICATES.name(), false);
        boolean sendEmpty = options.bool(SEND_EMPTY_PATCHES);
        int attempts = (int)options.number(MAX_ATTEMPTS);
        long initial = options.number(BACKOFF_INITIAL_MILLIS);
        long max = options.number(BACKOFF_MAX_MILLIS);
        if ( max < initial )
            throw options.error(BACKOFF_MAX_MILLIS.name(), "(" + max + ") is smaller than cdc:" + BACKOFF_INITIAL_MILLIS.name() + " (" + initial + "); raise it or lower the other");
        Duration connect = Duration.ofSeconds(options.number(CONNECT_TIMEOUT_SECONDS));
        Duration request = Duration.ofSeconds(options.number(REQUEST_TIMEOUT_SECONDS));
        double rate = rate(options);
        int maxBody = (int)options.number(MAX_BODY_BYTES);
        return new WebhookSinkConfig(dataset, options.name(), endpoints, secret.getBytes(java.nio.charset.StandardCharsets.UTF_8), "$" + envName,
                                     format.contentType(), batch, graphs, predicates, sendEmpty, attempts,
                                     Duration.ofMillis(initial), Duration.ofMillis(max), connect, request, rate, maxBody, format, cloudEvents, structured,
                                     standardKey);
    }

    /** The key of a {@code whsec_<base64>} secret, or null when none is configured. */
    private static byte[] standardWebhooksKey(OptionValues options, Function<String, String> environment) {
        if ( !options.has(STANDARD_WEBHOOKS_SECRET_ENV.name()) )
            return null;
        String secret = options.secretFromVariable(STANDARD_WEBHOOKS_SECRET_ENV.name(), "WEBHOOK_WHSEC", environment).trim();
        String variable = "$" + options.string(STANDARD_WEBHOOKS_SECRET_ENV.name(), null).trim();
        if ( !secret.startsWith(WHSEC_PREFIX) )
            throw options.error(STANDARD_WEBHOOKS_SECRET_ENV.name(), "names " + variable + ", whose value does not start with " + WHSEC_PREFIX
                                                                     + ": a Standard Webhooks secret is whsec_ followed by base64 (24 to 64 random bytes)");
        byte[] key;
        try {
            key = Base64.getDecoder().decode(secret.substring(WHSEC_PREFIX.length()));
        } catch (IllegalArgumentException ex) {
            throw options.error(STANDARD_WEBHOOKS_SECRET_ENV.name(), "names " + variable + ", whose value after " + WHSEC_PREFIX
                                                                     + " is not base64; a Standard Webhooks secret is whsec_ followed by base64");
        }
        if ( key.length < 24 || key.length > 64 )
            throw options.error(STANDARD_WEBHOOKS_SECRET_ENV.name(), "names " + variable + ", whose key is " + key.length
                                                                     + " bytes; Standard Webhooks keys are 24 to 64 random bytes (whsec_ + base64)");
        return key;
    }

    private static List<URI> endpoints(OptionValues options) {
        String v = options.required(URL.name(), "\"https://receiver.example/fuseki-cdc\"");
        List<URI> out = new ArrayList<>();
        for ( String s : LIST.split(v.trim()) ) {
            if ( s.isEmpty() )
                continue;
            URI uri;
            try {
                uri = new URI(s);
            } catch (URISyntaxException ex) {
                throw options.error(URL.name(), "holds '" + s + "', which is not a URL; write e.g. \"https://receiver.example/fuseki-cdc\"");
            }
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if ( !scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null )
                throw options.error(URL.name(), "holds '" + s + "'; each URL needs the scheme http:// or https:// and a host, e.g. \"https://receiver.example/fuseki-cdc\"");
            if ( uri.getRawUserInfo() != null )
                throw options.error(URL.name(), "must not hold credentials (a URL has user information); receivers check the cdc-signature header instead");
            if ( out.contains(uri) )
                throw options.error(URL.name(), "names " + s + " twice; give each endpoint once");
            out.add(uri);
        }
        if ( out.isEmpty() )
            throw options.error(URL.name(), "is empty; write e.g. \"https://receiver.example/fuseki-cdc\"");
        return List.copyOf(out);
    }

    private static Set<Node> iris(OptionValues options, String option, boolean allowDefault) {
        Set<Node> out = new LinkedHashSet<>();
        String v = options.string(option, null);
        if ( v == null )
            return Set.of();
        for ( String s : LIST.split(v.trim()) ) {
            if ( s.isEmpty() )
                continue;
            if ( allowDefault && s.equals(DEFAULT_GRAPH) ) {
                out.add(Quad.defaultGraphIRI);
                continue;
            }
            String iri = s.startsWith("<") && s.endsWith(">") ? s.substring(1, s.length() - 1) : s;
            if ( !IRIs.check(iri) || !IRIs.reference(iri).isAbsolute() )
                throw options.error(option, "holds '" + s + "', which is not an absolute IRI; write full IRIs such as http://example/g1"
                                            + (allowDefault ? " (or the word default for the default graph)" : "") + ", separated by spaces or commas");
            out.add(NodeFactory.createURI(iri));
        }
        if ( out.isEmpty() )
            throw options.error(option, "is empty; remove it to get every change, or list IRIs");
        return Set.copyOf(out);
    }

    private static double rate(OptionValues options) {
        String v = options.string(MAX_REQUESTS_PER_SECOND).trim();
        try {
            double d = Double.parseDouble(v);
            if ( d < 0 || d > 1_000_000 || Double.isNaN(d) )
                throw options.error(MAX_REQUESTS_PER_SECOND.name(), "must be from 0 (no limit) to 1000000, got " + v);
            return d;
        } catch (NumberFormatException ex) {
            throw options.error(MAX_REQUESTS_PER_SECOND.name(), "must be a number such as 5 or 0.5, got '" + v + "'");
        }
    }
}
