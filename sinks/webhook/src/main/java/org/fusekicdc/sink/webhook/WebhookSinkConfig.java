package org.fusekicdc.sink.webhook;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.irix.IRIs;
import org.apache.jena.sparql.core.Quad;
import org.fusekicdc.core.sink.PatchRecord;
import org.fusekicdc.core.sink.SinkOptions;
import org.fusekicdc.core.sink.SinkProvider.SinkOption;

/**
 * The settings of one webhook sink, read from its {@code cdc:} options and checked all at once.
 * Each option is declared once, in {@link #OPTIONS}; {@code docs/sinks.md} is checked against it.
 *
 * @param dataset          the dataset's name
 * @param sinkName         the sink's name
 * @param endpoints        the URLs every patch is POSTed to
 * @param secret           the HMAC-SHA256 key (never shown)
 * @param secretSource     where the secret comes from, for messages
 * @param contentType      {@link PatchRecord#TEXT} or {@link PatchRecord#BINARY}
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
 */
public record WebhookSinkConfig(String dataset, String sinkName, List<URI> endpoints, byte[] secret, String secretSource, String contentType,
                                int batchMaxPatches, Set<Node> graphs, Set<Node> predicates, boolean sendEmptyPatches, int maxAttempts,
                                Duration backoffInitial, Duration backoffMax, Duration connectTimeout, Duration requestTimeout,
                                double maxRequestsPerSecond, int maxBodyBytes) {

    public static final String URL = "url";
    public static final String SECRET_ENV = "secretEnv";
    public static final String FORMAT = "format";
    public static final String BATCH_MAX_PATCHES = "batchMaxPatches";
    public static final String GRAPHS = "graphs";
    public static final String PREDICATES = "predicates";
    public static final String SEND_EMPTY_PATCHES = "sendEmptyPatches";
    public static final String MAX_ATTEMPTS = "maxAttempts";
    public static final String BACKOFF_INITIAL_MILLIS = "backoffInitialMillis";
    public static final String BACKOFF_MAX_MILLIS = "backoffMaxMillis";
    public static final String CONNECT_TIMEOUT_SECONDS = "connectTimeoutSeconds";
    public static final String REQUEST_TIMEOUT_SECONDS = "requestTimeoutSeconds";
    public static final String MAX_REQUESTS_PER_SECOND = "maxRequestsPerSecond";
    public static final String MAX_BODY_BYTES = "maxBodyBytes";

    /** The word that stands for the default graph in {@code cdc:graphs}. */
    public static final String DEFAULT_GRAPH = "default";

    public static final List<SinkOption> OPTIONS = List.of(
        new SinkOption(URL, "string", "required",
                       "Receiver URL (http:// or https://), or several separated by spaces or commas; each gets every patch. No credentials in it."),
        new SinkOption(SECRET_ENV, "string (variable name)", "required",
                       "Name of the environment variable holding the shared secret; each request carries cdc-signature: sha256=<hex HMAC-SHA256 of the body>."),
        new SinkOption(FORMAT, "text | binary", "text",
                       "Request body: RDF Patch text (application/rdf-patch) or RDF Patch binary (application/rdf-patch+thrift)."),
        new SinkOption(BATCH_MAX_PATCHES, "integer", "1",
                       "Most patches in one request; more than 1 sends the patches waiting, in order, one after another in one body."),
        new SinkOption(GRAPHS, "IRIs (spaces or commas)", "none (all graphs)",
                       "Send only changes in these named graphs; the word default stands for the default graph."),
        new SinkOption(PREDICATES, "IRIs (spaces or commas)", "none (all predicates)",
                       "Send only changes whose predicate is one of these."),
        new SinkOption(SEND_EMPTY_PATCHES, "boolean", "false",
                       "Send a patch the filters left without changes (headers only). When false it is skipped and counts as delivered."),
        new SinkOption(MAX_ATTEMPTS, "integer", "10",
                       "Attempts per endpoint on 5xx, 408, 429 and network errors before the patch counts as undeliverable (dead-letter directory, or the sink pauses)."),
        new SinkOption(BACKOFF_INITIAL_MILLIS, "integer (ms)", "500",
                       "First wait before a retry; doubled after each failure up to backoffMaxMillis, with jitter. A longer Retry-After is honoured."),
        new SinkOption(BACKOFF_MAX_MILLIS, "integer (ms)", "60000",
                       "Longest wait before a retry (Retry-After included)."),
        new SinkOption(CONNECT_TIMEOUT_SECONDS, "integer (seconds)", "10",
                       "Timeout to connect to an endpoint."),
        new SinkOption(REQUEST_TIMEOUT_SECONDS, "integer (seconds)", "30",
                       "Longest wait for an endpoint's response; then the request is retried."),
        new SinkOption(MAX_REQUESTS_PER_SECOND, "number", "0 (no limit)",
                       "Most requests per second to each endpoint, retries included."),
        new SinkOption(MAX_BODY_BYTES, "integer (bytes)", "16777216",
                       "Largest request body; a larger patch is undeliverable (dead-letter directory, or the sink pauses). A larger batch is sent one patch at a time."));

    private static final Pattern LIST = Pattern.compile("[\\s,]+");

    public String describe() {
        return "endpoints " + endpoints + ", secret from " + secretSource + ", format " + contentType + ", batchMaxPatches " + batchMaxPatches
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

    public static WebhookSinkConfig from(String dataset, SinkOptions options, Function<String, String> environment) {
        List<URI> endpoints = endpoints(options);
        String envName = options.required(SECRET_ENV, "\"WEBHOOK_SECRET\" (the name of the variable that holds the secret)").trim();
        String secret = options.secretFromVariable(SECRET_ENV, "WEBHOOK_SECRET", environment);
        String format = options.oneOf(FORMAT, "text", "text", "binary");
        int batch = (int)options.number(BATCH_MAX_PATCHES, 1, 1, 10_000);
        Set<Node> graphs = iris(options, GRAPHS, true);
        Set<Node> predicates = iris(options, PREDICATES, false);
        boolean sendEmpty = options.bool(SEND_EMPTY_PATCHES, false);
        int attempts = (int)options.number(MAX_ATTEMPTS, 10, 1, 1_000_000);
        long initial = options.number(BACKOFF_INITIAL_MILLIS, 500, 1, 3_600_000);
        long max = options.number(BACKOFF_MAX_MILLIS, 60_000, 1, 3_600_000);
        if ( max < initial )
            throw options.error(BACKOFF_MAX_MILLIS, "(" + max + ") is smaller than cdc:" + BACKOFF_INITIAL_MILLIS + " (" + initial + "); raise it or lower the other");
        Duration connect = Duration.ofSeconds(options.number(CONNECT_TIMEOUT_SECONDS, 10, 1, 600));
        Duration request = Duration.ofSeconds(options.number(REQUEST_TIMEOUT_SECONDS, 30, 1, 3600));
        double rate = rate(options);
        int maxBody = (int)options.number(MAX_BODY_BYTES, 16L * 1024 * 1024, 1024, Integer.MAX_VALUE - 8);
        return new WebhookSinkConfig(dataset, options.sink(), endpoints, secret.getBytes(java.nio.charset.StandardCharsets.UTF_8), "$" + envName,
                                     "binary".equals(format) ? PatchRecord.BINARY : PatchRecord.TEXT, batch, graphs, predicates, sendEmpty, attempts,
                                     Duration.ofMillis(initial), Duration.ofMillis(max), connect, request, rate, maxBody);
    }

    private static List<URI> endpoints(SinkOptions options) {
        String v = options.required(URL, "\"https://receiver.example/fuseki-cdc\"");
        List<URI> out = new ArrayList<>();
        for ( String s : LIST.split(v.trim()) ) {
            if ( s.isEmpty() )
                continue;
            URI uri;
            try {
                uri = new URI(s);
            } catch (URISyntaxException ex) {
                throw options.error(URL, "holds '" + s + "', which is not a URL; write e.g. \"https://receiver.example/fuseki-cdc\"");
            }
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if ( !scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null )
                throw options.error(URL, "holds '" + s + "'; each URL needs the scheme http:// or https:// and a host, e.g. \"https://receiver.example/fuseki-cdc\"");
            if ( uri.getRawUserInfo() != null )
                throw options.error(URL, "must not hold credentials (a URL has user information); receivers check the cdc-signature header instead");
            if ( out.contains(uri) )
                throw options.error(URL, "names " + s + " twice; give each endpoint once");
            out.add(uri);
        }
        if ( out.isEmpty() )
            throw options.error(URL, "is empty; write e.g. \"https://receiver.example/fuseki-cdc\"");
        return List.copyOf(out);
    }

    private static Set<Node> iris(SinkOptions options, String option, boolean allowDefault) {
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

    private static double rate(SinkOptions options) {
        String v = options.string(MAX_REQUESTS_PER_SECOND, "0").trim();
        try {
            double d = Double.parseDouble(v);
            if ( d < 0 || d > 1_000_000 || Double.isNaN(d) )
                throw options.error(MAX_REQUESTS_PER_SECOND, "must be from 0 (no limit) to 1000000, got " + v);
            return d;
        } catch (NumberFormatException ex) {
            throw options.error(MAX_REQUESTS_PER_SECOND, "must be a number such as 5 or 0.5, got '" + v + "'");
        }
    }
}
