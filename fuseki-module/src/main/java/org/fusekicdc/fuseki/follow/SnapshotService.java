package org.fusekicdc.fuseki.follow;

import java.io.IOException;

import org.apache.jena.fuseki.servlets.HttpAction;
import org.apache.jena.fuseki.servlets.ServletOps;
import org.apache.jena.riot.WebContent;
import org.apache.jena.web.HttpSC;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.snapshot.Snapshot;
import org.fusekicdc.fuseki.access.ReaderView;
import org.fusekicdc.fuseki.runtime.DatasetRuntime;
import org.fusekicdc.fuseki.runtime.DatasetRuntimes;
import org.fusekicdc.fuseki.http.ClientInput;
import org.fusekicdc.fuseki.http.ReadOnlyService;
import org.fusekicdc.fuseki.stream.ResponseStreams;
import org.fusekicdc.fuseki.stream.SpooledBody;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code cdc:snapshot}: {@code GET} streams a consistent dump of a captured dataset at one
 * version, as an RDF Patch that adds every quad and prefix, with the version and its patch id in
 * the {@code X-CDC-Version} and {@code X-CDC-Patch-Id} headers and in the patch's own headers. A
 * follower loads it and then applies the patches after that version. The dump is read in one
 * read transaction (writers go on meanwhile) into a file in the snapshot directory, which is then
 * sent without blocking a request thread ({@link ResponseStreams}) and deleted: the transaction
 * lasts as long as the disk takes, never as long as a slow client, and memory stays a piece.
 * Under graph-level access control it holds only the quads of graphs the request's user may read.
 */
public class SnapshotService extends ReadOnlyService {
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotService.class);

    public SnapshotService() {
        super("GET, OPTIONS", "the snapshot endpoint");
    }

    @Override
    protected void doGet(HttpAction action) {
        DatasetRuntime runtime = DatasetRuntimes.require(action, "cdc:snapshot");
        CapturingDatasetGraph dsg = runtime.dataset();
        ReaderView view = ReaderView.of(action);
        long start = System.nanoTime();
        long version;
        long[] quads = {0};
        SpooledBody body;
        try (Snapshot snapshot = Snapshot.begin(dsg)) {
            version = snapshot.version();
            body = SpooledBody.write(dsg.datasetName(), runtime.snapshotDirectory(), snapshot.fileName(),
                                     out -> quads[0] = snapshot.writeTo(out, q -> view.sees(q.getGraph(), q.getSubject(), q.getPredicate(), q.getObject())));
            action.setResponseHeader("X-CDC-Version", Long.toString(version));
            if ( snapshot.id() != null )
                action.setResponseHeader("X-CDC-Patch-Id", snapshot.id().toString());
        }
        action.setResponseContentType(WebContent.contentTypePatch);
        action.setResponseStatus(HttpSC.OK_200);
        LOG.info("Dataset '{}': snapshot of version {} ({} quads, {} bytes) written in {} ms, sending", dsg.datasetName(), version, quads[0],
                 body.size(), (System.nanoTime() - start) / 1_000_000);
        try {
            runtime.responseStreams().send(action.getRequest(), body, ClientInput.clientId(action), "snapshot of version " + version);
        } catch (IOException ex) {
            LOG.info("Dataset '{}': snapshot of version {} not sent: the client went away ({})", dsg.datasetName(), version, ex.toString());
        }
    }

    @Override
    protected void doHead(HttpAction action) {
        ServletOps.errorMethodNotAllowed("HEAD: a snapshot's version is only fixed when it is taken; use GET");
    }


}
