package org.fusekicdc.live;

import java.util.concurrent.TimeUnit;

import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.system.Txn;
import org.apache.jena.update.UpdateAction;

/** What the live engine's tests share: the example prefix, an update in its own transaction, the next event. */
final class LiveTesting {
    static final String PREFIX = "PREFIX : <http://example/>\n";

    private LiveTesting() {}

    /** Run a SPARQL update (with {@link #PREFIX}) as one committed transaction. */
    static void update(DatasetGraph dsg, String update) {
        Txn.executeWrite(dsg, () -> UpdateAction.parseExecute(PREFIX + update, dsg));
    }

    /** The subscription's next event; fails the test when none comes within 20 s. */
    static LiveEvent next(Subscription s) throws InterruptedException {
        LiveEvent e = s.poll(20, TimeUnit.SECONDS);
        if ( e == null )
            throw new AssertionError("no event within 20 s");
        return e;
    }
}
