import Foundation

/// E-utilities answers for db=gene as NCBI documents them (esearch: esearchresult.idlist; esummary:
/// result.uids and result[uid] with name, description, summary, organism, status, currentid), built from
/// recorded gene documents. Texts are the RefSeq summaries bundled in data/genes.
enum RecordedGenes {
    struct Doc { var uid: String; var name: String; var description: String; var summary: String; var tax: Int; var chromosome: String; var aliases: String }

    static let docs: [Doc] = [
        Doc(
            uid: "14433", name: "Gapdh", description: "glyceraldehyde-3-phosphate dehydrogenase",
            summary:
                "This gene encodes a member of the glyceraldehyde-3-phosphate dehydrogenase protein family. The encoded protein has been identified as a moonlighting protein based on its ability to perform mechanistically distinct functions. The encoded protein was originally identified as a key glycolytic enzyme that converts D-glyceraldehyde 3-phosphate (G3P) into 3-phospho-D-glyceroyl phosphate. Subsequent studies have assigned a variety of additional functions to the protein including nitrosylation of nuclear proteins, the regulation of mRNA stability, and acting as a transferrin receptor on the cell surface of macrophage. Alternative splicing results in multiple transcript variants. Many pseudogenes similar to this locus are found throughout the mouse genome. [provided by RefSeq, Aug 2015]",
            tax: 10090, chromosome: "6", aliases: "Gapd"),
        Doc(
            uid: "18976", name: "Pomc", description: "pro-opiomelanocortin-alpha",
            summary:
                "This gene encodes a polypeptide hormone precursor that undergoes extensive, tissue-specific, post-translational processing. Processing yields several biologically active peptides, which are involved in diverse cellular functions, such as energy homeostasis, steroidogenesis, and increased melanin production in melanocytes. In mouse deficiency of this gene is associated with obesity, defects in adrenal development, and altered pigmentation. A pseudogene of this gene is located on chromosome 19. Alternative splicing results in multiple transcript variants. [provided by RefSeq, Jan 2015]",
            tax: 10090, chromosome: "12", aliases: "ACTH, Pomc1, Pomc-1, alpha-MSH, beta-LPH"),
        Doc(
            uid: "66050", name: "0610009B22Rik", description: "RIKEN cDNA 0610009B22 gene", summary: "",
            tax: 10090, chromosome: "11", aliases: ""),
        Doc(
            uid: "2597", name: "GAPDH", description: "glyceraldehyde-3-phosphate dehydrogenase",
            summary:
                "This gene encodes a member of the glyceraldehyde-3-phosphate dehydrogenase protein family. The encoded protein has been identified as a moonlighting protein based on its ability to perform mechanistically distinct functions. The product of this gene catalyzes an important energy-yielding step in carbohydrate metabolism, the reversible oxidative phosphorylation of glyceraldehyde-3-phosphate in the presence of inorganic phosphate and nicotinamide adenine dinucleotide (NAD). [provided by RefSeq, Nov 2019]",
            tax: 9606, chromosome: "12", aliases: "G3PD, GAPD, HEL-S-162eP"),
        Doc(
            uid: "6399", name: "TRAPPC2", description: "trafficking protein particle complex subunit 2",
            summary:
                "The protein encoded by this gene is thought to be part of a large multi-subunit complex involved in the targeting and fusion of endoplasmic reticulum-to-Golgi transport vesicles with their acceptor compartment. In addition, the encoded protein can bind c-myc promoter-binding protein 1 and block its transcriptional repression capability. Mutations in this gene are a cause of spondyloepiphyseal dysplasia tarda (SEDT). [provided by RefSeq, Jul 2008]",
            tax: 9606, chromosome: "X", aliases: "MIP-2A, SEDL, SEDT, TRS20, ZNF547L, hYP38334"),
        // No RefSeq summary for the mouse gene nor for its human ortholog (HCOP: A3galt2 → A3GALT2).
        Doc(
            uid: "215493", name: "A3galt2", description: "alpha 1,3-galactosyltransferase 2 (isoglobotriaosylceramide synthase)",
            summary: "", tax: 10090, chromosome: "4", aliases: "Gm433, iGb3, iGb3S"),
        Doc(
            uid: "127550", name: "A3GALT2", description: "alpha 1,3-galactosyltransferase 2", summary: "",
            tax: 9606, chromosome: "1", aliases: "A3GALT2P, IGB3S, IGBS3S"),
    ]

    static func organism(_ tax: Int) -> [String: Any] {
        tax == 9606
            ? ["scientificname": "Homo sapiens", "commonname": "human", "taxid": 9606]
            : ["scientificname": "Mus musculus", "commonname": "house mouse", "taxid": 10090]
    }

    static func esearch(term: String) -> String {
        // Term as the client writes it: ("A"[sym] OR "B"[sym]) AND txid10090[orgn] AND alive[prop]
        let tax = term.contains("txid9606[orgn]") ? 9606 : 10090
        let symbols = term.components(separatedBy: "\"").enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
        var ids = [String](), notFound = [String]()
        for s in symbols {
            if let d = docs.first(where: { $0.tax == tax && $0.name.lowercased() == s.lowercased() }) {
                ids.append(d.uid)
            } else {
                notFound.append("\"\(s)\"[sym]")
            }
        }
        var result: [String: Any] = [
            "count": String(ids.count), "retmax": String(ids.count), "retstart": "0", "idlist": ids,
            "translationset": [["from": "txid\(tax)[orgn]", "to": "txid\(tax)[Organism:exp]"]],
            "querytranslation": term.replacingOccurrences(of: "[orgn]", with: "[Organism:exp]"),
        ]
        if !notFound.isEmpty {
            result["errorlist"] = ["phrasesnotfound": notFound, "fieldsnotfound": [String]()]
            result["warninglist"] = [
                "phrasesignored": [String](), "quotedphrasesnotfound": [String](),
                "outputmessages": ids.isEmpty ? ["No items found."] : [String](),
            ]
        }
        return json(["header": ["type": "esearch", "version": "0.3"], "esearchresult": result])
    }

    static func esummary(ids: [String]) -> String {
        var result: [String: Any] = ["uids": ids]
        for id in ids {
            guard let d = docs.first(where: { $0.uid == id }) else {
                result[id] = ["uid": id, "error": "cannot get document summary"]
                continue
            }
            result[id] = [
                "uid": d.uid, "name": d.name, "description": d.description, "status": "", "currentid": "",
                "chromosome": d.chromosome, "geneticsource": "genomic", "maplocation": "", "otheraliases": d.aliases,
                "otherdesignations": "", "nomenclaturesymbol": d.tax == 9606 ? d.name : "",
                "nomenclaturename": d.tax == 9606 ? d.description : "", "nomenclaturestatus": d.tax == 9606 ? "Official" : "",
                "mim": [String](), "genomicinfo": [["chrloc": d.chromosome, "chraccver": "", "chrstart": 0, "chrstop": 0, "exoncount": 0]],
                "geneweight": 1000, "summary": d.summary, "chrsort": d.chromosome, "chrstart": 0,
                "organism": organism(d.tax), "locationhist": [[String: Any]](),
            ]
        }
        return json(["header": ["type": "esummary", "version": "0.3"], "result": result])
    }

    static func json(_ obj: Any) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys]), as: UTF8.self)
    }
}

/// Form fields of an application/x-www-form-urlencoded body.
func formFields(_ body: [UInt8]) -> [String: String] {
    var out = [String: String]()
    for pair in String(decoding: body, as: UTF8.self).split(separator: "&") {
        let kv = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0) }
        out[kv[0]] = kv.count > 1 ? kv[1] : ""
    }
    return out
}

/// A loopback E-utilities server answering from `RecordedGenes`; `override` may replace answer n (1-based).
func fakeEUtils(log: RequestLog, override: @escaping @Sendable (Int) -> (Int, String)? = { _ in nil }) throws -> LoopbackServer {
    try LoopbackServer { request in
        let endpoint = request.path.split(separator: "/").last.map(String.init) ?? ""
        guard request.method == "POST", request.path.hasPrefix("/entrez/eutils/"),
            endpoint == "esearch.fcgi" || endpoint == "esummary.fcgi"
        else {
            return .init(status: 404, body: #"{"error":"not found"}"#)
        }
        let n = log.add(.init(path: endpoint, body: request.body, authorization: nil, time: Date().timeIntervalSince1970))
        let headers = [("Content-Type", "application/json; charset=UTF-8")]
        if let (status, text) = override(n) { return .init(status: status, headers: headers, body: text) }
        let f = formFields(request.body)
        guard f["db"] == "gene", f["retmode"] == "json" else {
            return .init(status: 400, headers: headers, body: #"{"error":"expected db=gene and retmode=json"}"#)
        }
        let text =
            endpoint == "esearch.fcgi"
            ? RecordedGenes.esearch(term: f["term"] ?? "")
            : RecordedGenes.esummary(ids: (f["id"] ?? "").split(separator: ",").map(String.init))
        return .init(status: 200, headers: headers, body: text)
    }
}
