package org.fusekicdc.dist;

import java.nio.file.Path;

/** The configuration the kill tests give every server: one captured TDB2 dataset "ds" with the endpoints any of them needs to lead or follow. */
final class CapturedServiceConfig {
    private CapturedServiceConfig() {}

    /**
     * @param dir    the server's directory (its database and change log go below it)
     * @param cdcTtl more properties of the captured dataset (sinks, follow settings), each ending with {@code ;}
     */
    static String of(Path dir, String cdcTtl) {
        return """
            PREFIX fuseki: <http://jena.apache.org/fuseki#>
            PREFIX tdb2:   <http://jena.apache.org/2016/tdb#>
            PREFIX cdc:    <https://w3id.org/fuseki-cdc#>
            <#service> a fuseki:Service ; fuseki:name "ds" ;
                fuseki:endpoint [ fuseki:operation fuseki:query ] , [ fuseki:operation fuseki:update ; fuseki:name "update" ] ,
                                [ fuseki:operation fuseki:gsp-r ; fuseki:name "data" ] , [ fuseki:operation cdc:snapshot ; fuseki:name "snapshot" ] ;
                fuseki:dataset <#captured> .
            <#captured> a cdc:CapturedDataset ;
                cdc:dataset [ a tdb2:DatasetTDB2 ; tdb2:location "%s/db" ] ;
                %s
                cdc:logDirectory "%s/changes" .
            """.formatted(dir, cdcTtl, dir);
    }
}
