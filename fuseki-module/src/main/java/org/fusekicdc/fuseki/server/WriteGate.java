package org.fusekicdc.fuseki.server;

import java.util.Optional;
import java.util.Set;

import org.apache.jena.fuseki.servlets.ActionService;
import org.apache.jena.fuseki.servlets.HttpAction;
import org.apache.jena.fuseki.servlets.ServletOps;
import org.apache.jena.http.HttpMethod;
import org.apache.jena.web.HttpSC;
import org.fusekicdc.core.internal.capture.CommitWatch;
import org.fusekicdc.fuseki.runtime.DatasetRuntime;
import org.fusekicdc.fuseki.runtime.DatasetRuntimes;

/**
 * Wraps one of Fuseki's write operations (update, Graph Store Protocol, upload, patch) so that
 * a write to a captured dataset gets {@code 503 Service Unavailable}, with the reason, while a
 * sink configured with {@code cdc:onLag "refuse"} is further behind than its bound, and
 * {@code 403 Forbidden} when the dataset is a follower (it changes only through its leader).
 * Reads, and other datasets, pass straight through.
 */
final class WriteGate extends ActionService {
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
        CommitWatch.watch(v -> action.setResponseHeader(HDR_VERSION, Long.toString(v)));
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
