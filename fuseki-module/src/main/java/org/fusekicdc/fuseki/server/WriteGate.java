package org.fusekicdc.fuseki.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Set;

import jakarta.servlet.http.HttpServletResponse;
import org.apache.jena.fuseki.servlets.ActionService;
import org.apache.jena.fuseki.servlets.HttpAction;
import org.apache.jena.fuseki.servlets.ServletOps;
import org.apache.jena.http.HttpMethod;
import org.apache.jena.web.HttpSC;
import org.fusekicdc.core.internal.capture.CommitWatch;
import org.fusekicdc.fuseki.runtime.DatasetRuntime;
import org.fusekicdc.fuseki.runtime.DatasetRuntimes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wraps one of Fuseki's write operations (update, Graph Store Protocol, upload, patch) so that
 * a write to a captured dataset gets {@code 503 Service Unavailable}, with the reason, while a
 * sink configured with {@code cdc:onLag "refuse"} is further behind than its bound, and
 * {@code 403 Forbidden} when the dataset is a follower (it changes only through its leader) or
 * was fenced by a promoted follower. With a sink that acknowledges writes on its destination, a
 * write's response waits for the destination ({@code 504} past the sink's time-out).
 * Reads, and other datasets, pass straight through.
 */
final class WriteGate extends ActionService {
    private static final Logger LOG = LoggerFactory.getLogger(WriteGate.class);
    private static final Set<String> WRITE_METHODS = Set.of(HttpMethod.METHOD_POST, HttpMethod.METHOD_PUT,
                                                             HttpMethod.METHOD_DELETE, HttpMethod.METHOD_PATCH);
    static final String HDR_VERSION = "X-CDC-Version";
    private final ActionService delegate;

    WriteGate(ActionService delegate) {
        this.delegate = delegate;
    }

    @Override
    public void process(HttpAction action) {
        refuseIfLagging(action);
        DatasetRuntime runtime = WRITE_METHODS.contains(action.getRequestMethod()) ? DatasetRuntimes.find(action.getDataset()) : null;
        if ( runtime == null ) {
            delegate.process(action);
            return;
        }
        // Read-your-writes: the response names the version the write committed, or the current one when it changed nothing.
        action.setResponseHeader(HDR_VERSION, Long.toString(runtime.log().headVersion()));
        CommitWatch.watch(v -> {
            action.setResponseHeader(HDR_VERSION, Long.toString(v));
            awaitDestinations(action, runtime, v);
        });
        try {
            delegate.process(action);
        } finally {
            CommitWatch.stop();
        }
    }

    @Override
    public void validate(HttpAction action) {
        delegate.validate(action);
    }

    @Override
    public void execute(HttpAction action) {
        delegate.execute(action);
    }

    /**
     * With sinks that acknowledge writes on their destination (cdc:acknowledgeWrites "topic"): the
     * response waits until they hold the version; past their time-out the write gets 504 saying
     * that it is committed here. Runs after the commit, outside the store's writer lock.
     */
    private static void awaitDestinations(HttpAction action, DatasetRuntime runtime, long version) {
        Optional<String> failure;
        try {
            failure = runtime.sinks().awaitAcknowledged(version);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            failure = Optional.of("Dataset '" + runtime.name() + "': version " + version + " IS committed on this server; interrupted while waiting for it to reach the topic");
        }
        if ( failure.isPresent() ) {
            LOG.warn("{}", failure.get());
            sendNow(action, HttpSC.GATEWAY_TIMEOUT_504, failure.get());
        }
    }

    /**
     * Send the whole response at once, from inside the commit: Fuseki's write operations swallow
     * an error thrown by a commit that succeeded, and would then answer success. What they set
     * or write afterwards has no effect on a response already sent.
     */
    private static void sendNow(HttpAction action, int status, String message) {
        HttpServletResponse resp = action.getResponse();
        byte[] body = (message + "\n").getBytes(StandardCharsets.UTF_8);
        try {
            resp.setStatus(status);
            resp.setContentType("text/plain;charset=utf-8");
            resp.setContentLength(body.length);
            resp.getOutputStream().write(body);
            resp.flushBuffer();
        } catch (IOException ex) {
            LOG.debug("Dataset '{}': the client went away before the write's answer ({}): {}", action.getDatasetName(), status, ex.toString());
        }
    }

    private static void refuseIfLagging(HttpAction action) {
        if ( !WRITE_METHODS.contains(action.getRequestMethod()) )
            return;
        DatasetRuntime runtime = DatasetRuntimes.find(action.getDataset());
        if ( runtime == null )
            return;
        if ( runtime.dataset().followerOf() != null )
            ServletOps.error(HttpSC.FORBIDDEN_403, runtime.dataset().followerOf());
        Optional<String> refusal = runtime.sinks().writeRefusal();
        if ( refusal.isPresent() ) {
            action.setResponseHeader("Retry-After", "10");
            ServletOps.error(HttpSC.SERVICE_UNAVAILABLE_503, refusal.get());
        }
    }
}
