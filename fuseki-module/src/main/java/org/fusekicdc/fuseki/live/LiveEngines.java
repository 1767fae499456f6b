package org.fusekicdc.fuseki.live;

import org.apache.jena.fuseki.servlets.HttpAction;
import org.apache.jena.sparql.util.Symbol;
import org.fusekicdc.core.capture.CapturingDatasetGraph;
import org.fusekicdc.fuseki.config.LiveSettings;
import org.fusekicdc.fuseki.config.VocabCdc;
import org.fusekicdc.fuseki.server.CapturedDatasets;
import org.fusekicdc.live.LiveQueryEngine;

/** Where a captured dataset keeps its live query engine: in its context, put there by the module at start-up. */
public final class LiveEngines {
    /** Context key of a captured dataset's {@link LiveQueryEngine}. */
    public static final Symbol ENGINE = Symbol.create(VocabCdc.NS + "liveEngine");
    /** Context key of a captured dataset's {@link LiveSettings}. */
    public static final Symbol SETTINGS = Symbol.create(VocabCdc.NS + "liveSettings");

    private LiveEngines() {}

    /** The dataset's engine, started on first use. */
    public static synchronized LiveQueryEngine engine(CapturingDatasetGraph dsg) {
        LiveQueryEngine e = dsg.getContext().get(ENGINE);
        if ( e == null ) {
            e = new LiveQueryEngine(dsg, settings(dsg).engineConfig());
            dsg.getContext().set(ENGINE, e);
        }
        return e;
    }

    /** Stop the dataset's engine, if it has one. */
    public static synchronized void close(CapturingDatasetGraph dsg) {
        LiveQueryEngine e = dsg.getContext().get(ENGINE);
        if ( e != null ) {
            e.close();
            dsg.getContext().remove(ENGINE);
        }
    }

    public static LiveSettings settings(CapturingDatasetGraph dsg) {
        LiveSettings s = dsg.getContext().get(SETTINGS);
        return s == null ? LiveSettings.DEFAULTS : s;
    }

    static CapturingDatasetGraph captured(HttpAction action) {
        return CapturedDatasets.require(action, "live query");
    }
}
