package org.fusekicdc.streams.patch;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.apache.jena.rdfpatch.RDFPatch;
import org.fusekicdc.rsp.Commit;
import org.fusekicdc.rsp.Commits;
import org.fusekicdc.streams.serde.QuadEvent;

/**
 * A whole patch of the change topic, as {@link PatchReassembly} hands it on.
 *
 * @param dataset    the dataset's name ({@code cdc-dataset})
 * @param version    its version ({@code cdc-version})
 * @param commitTime its commit time ({@code cdc-timestamp})
 * @param headers    the headers of its (first) message
 * @param patch      the patch
 */
public record ChangePatch(String dataset, long version, Instant commitTime, Map<String, String> headers, RDFPatch patch) {
    public ChangePatch {
        headers = Map.copyOf(headers);
    }

    /** The commit, as the continuous query engine takes it. */
    public Commit commit() {
        return Commits.fromPatch(version, commitTime, patch);
    }

    /** The quads the patch removed and added, in that order. */
    public List<QuadEvent> events() {
        return QuadEvent.of(dataset, commit());
    }
}
