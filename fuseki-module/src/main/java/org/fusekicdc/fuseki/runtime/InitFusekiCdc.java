package org.fusekicdc.fuseki.runtime;

import org.apache.jena.rdf.model.ResourceFactory;
import org.apache.jena.sparql.core.assembler.AssemblerUtils;
import org.apache.jena.sys.JenaSubsystemLifecycle;
import org.apache.jena.sys.JenaSystem;
import org.fusekicdc.fuseki.config.CdcOperations;
import org.fusekicdc.fuseki.config.VocabCdc;

/** Registers the {@code cdc:} assembler vocabulary when Jena initialises (ServiceLoader). */
public class InitFusekiCdc implements JenaSubsystemLifecycle {
    @Override
    public void start() {
        JenaSystem.logLifecycle("InitFusekiCdc - start");
        // Not VocabCdc.CapturedDataset: Jena may be initialising because VocabCdc itself is,
        // and its fields are not set yet. The namespace is a compile-time constant.
        AssemblerUtils.registerDataset(ResourceFactory.createResource(VocabCdc.NS + "CapturedDataset"), new AssemblerCapturedDataset());
        CdcOperations.init();
        JenaSystem.logLifecycle("InitFusekiCdc - finish");
    }

    @Override
    public void stop() {}

    @Override
    public int level() {
        // After ARQ's assemblers (AssemblerUtils) and TDB2.
        return 9000;
    }
}
