package org.fusekicdc.fuseki.server;

import java.util.Optional;
import java.util.Set;

import org.apache.jena.fuseki.servlets.ActionService;
import org.apache.jena.fuseki.servlets.HttpAction;
import org.apache.jena.fuseki.servlets.ServletOps;
import org.apache.jena.http.HttpMethod;
import org.apache.jena.web.HttpSC;
import org.fusekicdc.core.capture.CapturingDatasetGraph;
import org.fusekicdc.core.sink.internal.SinkRunners;
import org.fusekicdc.fuseki.config.AssemblerCapturedDataset;

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
    private final ActionService delegate;

    WriteGate(ActionService delegate) {
        this.delegate = delegate;
    }

    @Override
    public void process(HttpAction action) {
        refuseIfLagging(action);
        delegate.process(action);
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
        CapturingDatasetGraph c = CapturedDatasets.find(action.getDataset());
        if ( c == null )
            return;
        if ( c.followerOf() != null )
            ServletOps.error(HttpSC.FORBIDDEN_403, c.followerOf());
        SinkRunners d = c.getContext().get(AssemblerCapturedDataset.DISPATCHER);
        Optional<String> refusal = d == null ? Optional.empty() : d.writeRefusal();
        if ( refusal.isPresent() ) {
            action.setResponseHeader("Retry-After", "10");
            ServletOps.error(HttpSC.SERVICE_UNAVAILABLE_503, refusal.get());
        }
    }
}
