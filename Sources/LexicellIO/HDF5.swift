import Foundation
import LexicellCore
import CHDF5

/// A thin, owning wrapper over the libhdf5 C API: just what reading and writing h5ad needs.
/// Every failure becomes a LexicellError naming the file and the object path.
enum HDF5 {
    /// Starts the library once and stops it printing its own error stacks (errors are reported by us).
    static let ready: Bool = {
        H5open()
        H5Eset_auto2(0, nil, nil)
        return true
    }()
}

/// An open HDF5 file.
final class H5File {
    let id: hid_t
    let path: String

    private init(id: hid_t, path: String) { self.id = id; self.path = path }

    static func open(_ path: String) throws -> H5File {
        _ = HDF5.ready
        guard FileManager.default.fileExists(atPath: path) else { throw LexicellError("file not found", file: path) }
        guard H5Fis_hdf5(path) > 0 else {
            throw LexicellError("not an HDF5 file (an .h5ad file is HDF5; check the file is complete and not gzipped)", file: path)
        }
        // Every h5ad read passes here: its structure is walked by a child process first (a libhdf5 crash stays there).
        try H5ADProbe.check(path)
        let readOnly: UInt32 = 0  // H5F_ACC_RDONLY
        let id = H5Fopen(path, readOnly, defaultPlist)
        guard id >= 0 else { throw LexicellError("HDF5 could not open the file", file: path) }
        return H5File(id: id, path: path)
    }

    static func create(_ path: String) throws -> H5File {
        _ = HDF5.ready
        let truncate: UInt32 = 2  // H5F_ACC_TRUNC
        let fcpl = untimedPlist(H5P_CLS_FILE_CREATE_ID_g); defer { H5Pclose(fcpl) }
        let id = H5Fcreate(path, truncate, fcpl, defaultPlist)
        guard id >= 0 else { throw LexicellError("HDF5 could not create the file", file: path) }
        return H5File(id: id, path: path)
    }

    var root: H5Object { H5Object(id: H5Oopen(id, "/", defaultPlist), file: self, path: "/") }

    /// The file's size in bytes: no dataset or attribute can store more.
    var size: Int {
        var n: hsize_t = 0
        guard H5Fget_filesize(id, &n) >= 0 else { return Int.max }
        return Int(clamping: n)
    }

    deinit { H5Fclose(id) }
}

/// An open group or dataset; `path` is its name inside the file, for messages.
final class H5Object {
    let id: hid_t
    let file: H5File
    let path: String

    init(id: hid_t, file: H5File, path: String) { self.id = id; self.file = file; self.path = path }
    deinit { if id >= 0 { H5Oclose(id) } }

    func error(_ message: String) -> LexicellError {
        LexicellError("\(path): \(message)", file: file.path)
    }

    func childPath(_ name: String) -> String { path == "/" ? "/" + name : path + "/" + name }

    var isGroup: Bool { H5Iget_type(id) == H5I_GROUP }
    var isDataset: Bool { H5Iget_type(id) == H5I_DATASET }

    /// Whether `name` (possibly with slashes) exists below this object.
    func has(_ name: String) -> Bool {
        var prefix = ""
        for part in name.split(separator: "/") {
            prefix += prefix.isEmpty ? String(part) : "/" + part
            guard H5Lexists(id, prefix, defaultPlist) > 0 else { return false }
        }
        return !prefix.isEmpty
    }

    func open(_ name: String) throws -> H5Object {
        guard has(name) else { throw error("has no \"\(name)\"") }
        let child = H5Oopen(id, name, defaultPlist)
        guard child >= 0 else {
            throw LexicellError(
                "\(childPath(name)): cannot open it (libhdf5 rejects its object header; the file is corrupt or written by an incompatible tool)",
                file: file.path)
        }
        return H5Object(id: child, file: file, path: childPath(name))
    }

    /// Names of the group's members, in name order.
    func memberNames() -> [String] {
        var info = H5G_info_t()
        guard H5Gget_info(id, &info) >= 0 else { return [] }
        var names = [String]()
        for i in 0..<info.nlinks {
            let n = H5Lget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, i, nil, 0, defaultPlist)
            guard n >= 0 else { continue }
            var buf = [CChar](repeating: 0, count: Int(n) + 1)
            H5Lget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, i, &buf, Int(n) + 1, defaultPlist)
            names.append(String(cString: buf))
        }
        return names
    }

    // MARK: attributes

    func hasAttribute(_ name: String) -> Bool { H5Aexists(id, name) > 0 }

    private func withAttribute<T>(_ name: String, _ body: (H5Readable) throws -> T) throws -> T {
        let a = H5Aopen(id, name, defaultPlist)
        guard a >= 0 else { throw error("has no attribute \"\(name)\"") }
        defer { H5Aclose(a) }
        return try body(H5Readable(id: a, isAttribute: true, owner: self, name: "attribute \"\(name)\""))
    }

    /// A string attribute (scalar or first element), nil when absent or not a string.
    func stringAttribute(_ name: String) -> String? {
        guard hasAttribute(name) else { return nil }
        return (try? withAttribute(name) { try $0.readValues(field: nil) })?.strings?.first
    }

    func stringArrayAttribute(_ name: String) throws -> [String] {
        try withAttribute(name) { a in
            guard let s = try a.readValues(field: nil).strings else { throw error("attribute \"\(name)\" is not a string array") }
            return s
        }
    }

    func integerArrayAttribute(_ name: String) throws -> [Int] {
        try withAttribute(name) { a in
            let v = try a.readValues(field: nil)
            guard case .numbers(let x, _) = v else { throw error("attribute \"\(name)\": expected integers") }
            return try x.enumerated().map { i, value in
                guard let n = Int(exactly: value) else {
                    throw error("attribute \"\(name)\": value \(i) is \(value), expected an integer that fits in 64 bits")
                }
                return n
            }
        }
    }

    /// The object an object-reference attribute points to (anndata 0.7 categoricals).
    func referencedObject(attribute name: String) throws -> H5Object {
        try withAttribute(name) { a in
            let t = H5Aget_type(a.id); defer { H5Tclose(t) }
            guard H5Tget_class(t) == H5T_REFERENCE else { throw error("attribute \"\(name)\" is not an object reference") }
            var ref: hobj_ref_t = 0
            guard H5Aread(a.id, H5T_STD_REF_OBJ_g, &ref) >= 0 else { throw error("cannot read attribute \"\(name)\"") }
            let target = withUnsafeMutablePointer(to: &ref) { H5Rdereference2(id, defaultPlist, H5R_OBJECT, $0) }
            guard target >= 0 else { throw error("attribute \"\(name)\" points to nothing") }
            return H5Object(id: target, file: file, path: "\(path)@\(name)")
        }
    }

    // MARK: datasets

    var shape: [Int] {
        let s = H5Dget_space(id); defer { H5Sclose(s) }
        let rank = Int(H5Sget_simple_extent_ndims(s))
        guard rank > 0 else { return [] }
        var dims = [hsize_t](repeating: 0, count: rank)
        H5Sget_simple_extent_dims(s, &dims, nil)
        return dims.map { Int(clamping: $0) }  // a corrupt 2^64-1 extent becomes Int.max, refused by elementCount
    }

    /// The number of elements the dataset declares, checked before anything is allocated: every extent
    /// fits, their product (and the bytes of `memorySize`-byte elements) does not overflow, the bytes fit
    /// in what the file really stores (see `HDF5.checkExtent`), and the rank is at most `maxRank`.
    func elementCount(memorySize: Int, maxRank: Int? = nil) throws -> Int {
        let space = H5Dget_space(id); defer { H5Sclose(space) }
        let ftype = H5Dget_type(id); defer { H5Tclose(ftype) }
        return try HDF5.checkExtent(
            space: space, fileType: ftype, storage: H5Dget_storage_size(id),
            dataset: id, memorySize: memorySize, maxRank: maxRank, what: "dataset", owner: self)
    }

    var typeClass: H5T_class_t {
        let t = H5Dget_type(id); defer { H5Tclose(t) }
        return H5Tget_class(t)
    }

    /// Names of the fields of a compound dataset (the pre-0.7 anndata dataframe layout).
    var compoundFields: [String] {
        let t = H5Dget_type(id); defer { H5Tclose(t) }
        guard H5Tget_class(t) == H5T_COMPOUND else { return [] }
        return (0..<max(0, H5Tget_nmembers(t))).compactMap { i in
            guard let c = H5Tget_member_name(t, UInt32(i)) else { return nil }
            defer { H5free_memory(c) }
            return String(cString: c)
        }
    }

    /// The whole dataset converted by HDF5 to `T` (numeric types only).
    func readNumbers<T: H5Native>(_: T.Type) throws -> [T] {
        let cls = typeClass
        guard cls == H5T_INTEGER || cls == H5T_FLOAT else {
            throw error("expected a numeric dataset, found HDF5 type class \(cls.rawValue)")
        }
        let n = try elementCount(memorySize: MemoryLayout<T>.stride)
        var out = [T](repeating: T.zero, count: n)
        if n == 0 { return out }
        let status = out.withUnsafeMutableBytes { H5Dread(id, T.h5Type, allSpace, allSpace, defaultPlist, $0.baseAddress) }
        guard status >= 0 else { throw error("cannot read as \(T.self)") }
        return out
    }

    /// A block of a numeric dataset converted by HDF5 to `T`, written to `buffer`: `count` elements per
    /// dimension from `start` (a row block of a 2-D dataset, a range of a 1-D one). Extents were checked by
    /// `elementCount` when the dataset was opened; the block must lie inside them.
    func readBlock<T: H5Native>(_: T.Type, start: [Int], count: [Int], into buffer: UnsafeMutablePointer<T>) throws {
        let cls = typeClass
        guard cls == H5T_INTEGER || cls == H5T_FLOAT else {
            throw error("expected a numeric dataset, found HDF5 type class \(cls.rawValue)")
        }
        if count.contains(0) { return }
        let fileSpace = H5Dget_space(id); defer { H5Sclose(fileSpace) }
        let s = start.map { hsize_t($0) }, c = count.map { hsize_t($0) }
        guard H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, s, nil, c, nil) >= 0, H5Sselect_valid(fileSpace) > 0 else {
            throw error("cannot select elements \(start) + \(count) (outside the dataset's shape \(shape))")
        }
        let memSpace = H5Screate_simple(Int32(c.count), c, nil); defer { H5Sclose(memSpace) }
        guard H5Dread(id, T.h5Type, memSpace, fileSpace, defaultPlist, buffer) >= 0 else {
            throw error("cannot read elements \(start) + \(count) as \(T.self)")
        }
    }

    /// Strings, numbers or enum names of a dataset, or of one field of a compound dataset.
    func readValues(field: String? = nil) throws -> H5Values {
        try H5Readable(id: id, isAttribute: false, owner: self, name: "dataset").readValues(field: field)
    }

    // MARK: writing

    func createGroup(_ name: String) throws -> H5Object {
        let gcpl = untimedPlist(H5P_CLS_GROUP_CREATE_ID_g); defer { H5Pclose(gcpl) }
        let g = H5Gcreate2(id, name, defaultPlist, gcpl, defaultPlist)
        guard g >= 0 else { throw error("cannot create group \"\(name)\"") }
        return H5Object(id: g, file: file, path: childPath(name))
    }

    @discardableResult
    func writeDataset<T: H5Native>(_ name: String, _ values: [T], dims: [Int]? = nil) throws -> H5Object {
        let d = (dims ?? [values.count]).map { hsize_t($0) }
        precondition(d.reduce(1, *) == hsize_t(values.count))
        let space = H5Screate_simple(Int32(d.count), d, nil); defer { H5Sclose(space) }
        let dcpl = untimedPlist(H5P_CLS_DATASET_CREATE_ID_g); defer { H5Pclose(dcpl) }
        let ds = H5Dcreate2(id, name, T.h5Type, space, defaultPlist, dcpl, defaultPlist)
        guard ds >= 0 else { throw error("cannot create dataset \"\(name)\"") }
        let object = H5Object(id: ds, file: file, path: childPath(name))
        if !values.isEmpty {
            let status = values.withUnsafeBytes { H5Dwrite(ds, T.h5Type, allSpace, allSpace, defaultPlist, $0.baseAddress) }
            guard status >= 0 else { throw error("cannot write dataset \"\(name)\"") }
        }
        return object
    }

    /// An empty dataset that grows along its first dimension (chunked storage), for writing in blocks.
    @discardableResult
    func createExtendable<T: H5Native>(_ name: String, _: T.Type, columns: Int? = nil, chunkRows: Int) throws -> H5Object {
        let dims: [hsize_t] = columns.map { [0, hsize_t($0)] } ?? [0]
        let maxDims: [hsize_t] = columns.map { [hsize_t.max, hsize_t($0)] } ?? [hsize_t.max]
        let chunk: [hsize_t] = columns.map { [hsize_t(max(1, chunkRows)), hsize_t(max(1, $0))] } ?? [hsize_t(max(1, chunkRows))]
        let space = H5Screate_simple(Int32(dims.count), dims, maxDims); defer { H5Sclose(space) }
        let dcpl = untimedPlist(H5P_CLS_DATASET_CREATE_ID_g); defer { H5Pclose(dcpl) }
        H5Pset_chunk(dcpl, Int32(chunk.count), chunk)
        let ds = H5Dcreate2(id, name, T.h5Type, space, defaultPlist, dcpl, defaultPlist)
        guard ds >= 0 else { throw error("cannot create dataset \"\(name)\"") }
        return H5Object(id: ds, file: file, path: childPath(name))
    }

    /// Appends `count` rows (of `columns` elements each, 1 for a 1-D dataset) to an extendable dataset.
    func append<T: H5Native>(_ values: UnsafeBufferPointer<T>, rows count: Int) throws {
        guard count > 0 else { return }
        let old = shape
        var newDims = old.map { hsize_t($0) }
        newDims[0] += hsize_t(count)
        guard H5Dset_extent(id, newDims) >= 0 else { throw error("cannot extend to \(newDims)") }
        let fileSpace = H5Dget_space(id); defer { H5Sclose(fileSpace) }
        var start = [hsize_t](repeating: 0, count: old.count)
        start[0] = hsize_t(old[0])
        var block = newDims
        block[0] = hsize_t(count)
        H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, start, nil, block, nil)
        let memSpace = H5Screate_simple(Int32(block.count), block, nil); defer { H5Sclose(memSpace) }
        guard H5Dwrite(id, T.h5Type, memSpace, fileSpace, defaultPlist, values.baseAddress) >= 0 else {
            throw error("cannot append \(count) rows")
        }
    }

    /// A 1-D dataset of variable-length UTF-8 strings (what h5py and anndata write).
    @discardableResult
    func writeStrings(_ name: String, _ values: [String]) throws -> H5Object {
        let type = H5String.variableUTF8(); defer { H5Tclose(type) }
        var dims = [hsize_t(values.count)]
        let space = H5Screate_simple(1, &dims, nil); defer { H5Sclose(space) }
        let dcpl = untimedPlist(H5P_CLS_DATASET_CREATE_ID_g); defer { H5Pclose(dcpl) }
        let ds = H5Dcreate2(id, name, type, space, defaultPlist, dcpl, defaultPlist)
        guard ds >= 0 else { throw error("cannot create dataset \"\(name)\"") }
        let object = H5Object(id: ds, file: file, path: childPath(name))
        if !values.isEmpty {
            let status = H5String.withCStrings(values) { H5Dwrite(ds, type, allSpace, allSpace, defaultPlist, $0) }
            guard status >= 0 else { throw error("cannot write dataset \"\(name)\"") }
        }
        return object
    }

    func setAttribute(_ name: String, string value: String) throws {
        let type = H5String.variableUTF8(); defer { H5Tclose(type) }
        let space = H5Screate(H5S_SCALAR); defer { H5Sclose(space) }
        try writeAttribute(name, type: type, space: space) { a in
            H5String.withCStrings([value]) { H5Awrite(a, type, $0) }
        }
    }

    func setAttribute(_ name: String, strings values: [String]) throws {
        let type = H5String.variableUTF8(); defer { H5Tclose(type) }
        var dims = [hsize_t(values.count)]
        let space = H5Screate_simple(1, &dims, nil); defer { H5Sclose(space) }
        try writeAttribute(name, type: type, space: space) { a in
            values.isEmpty ? 0 : H5String.withCStrings(values) { H5Awrite(a, type, $0) }
        }
    }

    func setAttribute(_ name: String, integers values: [Int64]) throws {
        var dims = [hsize_t(values.count)]
        let space = H5Screate_simple(1, &dims, nil); defer { H5Sclose(space) }
        try writeAttribute(name, type: H5T_NATIVE_INT64_g, space: space) { a in
            values.withUnsafeBytes { H5Awrite(a, H5T_NATIVE_INT64_g, $0.baseAddress) }
        }
    }

    /// A boolean as h5py stores numpy bools: an int8 enum {FALSE, TRUE}.
    func setAttribute(_ name: String, bool value: Bool) throws {
        let type = H5Tenum_create(H5T_NATIVE_INT8_g); defer { H5Tclose(type) }
        var f: Int8 = 0, t: Int8 = 1
        H5Tenum_insert(type, "FALSE", &f)
        H5Tenum_insert(type, "TRUE", &t)
        let space = H5Screate(H5S_SCALAR); defer { H5Sclose(space) }
        var v: Int8 = value ? 1 : 0
        try writeAttribute(name, type: type, space: space) { a in H5Awrite(a, type, &v) }
    }

    private func writeAttribute(_ name: String, type: hid_t, space: hid_t, _ write: (hid_t) -> herr_t) throws {
        let a = H5Acreate2(id, name, type, space, defaultPlist, defaultPlist)
        guard a >= 0 else { throw error("cannot create attribute \"\(name)\"") }
        defer { H5Aclose(a) }
        guard write(a) >= 0 else { throw error("cannot write attribute \"\(name)\"") }
    }
}

/// Values read from a dataset, a compound field or an attribute.
enum H5Values {
    case strings([String])
    case numbers([Double], isInteger: Bool)
    /// Enum members by name (h5py stores bools as an enum {FALSE, TRUE}).
    case enumNames([String])

    var strings: [String]? { if case .strings(let s) = self { return s }; return nil }
    var count: Int {
        switch self {
        case .strings(let s), .enumNames(let s): return s.count
        case .numbers(let x, _): return x.count
        }
    }
}

/// Numeric element types with their native HDF5 memory type.
protocol H5Native { static var h5Type: hid_t { get }; static var zero: Self { get } }
extension Float: H5Native { static var h5Type: hid_t { H5T_NATIVE_FLOAT_g } }
extension Double: H5Native { static var h5Type: hid_t { H5T_NATIVE_DOUBLE_g } }
extension Int32: H5Native { static var h5Type: hid_t { H5T_NATIVE_INT32_g } }
extension Int64: H5Native { static var h5Type: hid_t { H5T_NATIVE_INT64_g } }
extension Int8: H5Native { static var h5Type: hid_t { H5T_NATIVE_INT8_g } }
extension Int16: H5Native { static var h5Type: hid_t { H5T_NATIVE_INT16_g } }

enum H5String {
    static func variableUTF8() -> hid_t {
        let t = H5Tcopy(H5T_C_S1_g)
        H5Tset_size(t, Int.max &* 2 &+ 1)  // H5T_VARIABLE, (size_t)-1
        H5Tset_cset(t, H5T_CSET_UTF8)
        return t
    }

    /// Calls `body` with a buffer of C string pointers that stay valid during the call.
    static func withCStrings<R>(_ values: [String], _ body: (UnsafeRawPointer) -> R) -> R {
        let pointers = values.map { strdup($0) }
        defer { for p in pointers { free(p) } }
        return pointers.withUnsafeBytes { body($0.baseAddress!) }
    }
}

/// A dataset or attribute to read elements from.
struct H5Readable {
    let id: hid_t
    let isAttribute: Bool
    let owner: H5Object
    let name: String

    private func fileType() -> hid_t { isAttribute ? H5Aget_type(id) : H5Dget_type(id) }
    private func space() -> hid_t { isAttribute ? H5Aget_space(id) : H5Dget_space(id) }
    private func read(_ mtype: hid_t, _ buf: UnsafeMutableRawPointer?) -> herr_t {
        isAttribute ? H5Aread(id, mtype, buf) : H5Dread(id, mtype, allSpace, allSpace, defaultPlist, buf)
    }

    func readValues(field: String?) throws -> H5Values {
        let ftype = fileType(); defer { H5Tclose(ftype) }
        let sp = space(); defer { H5Sclose(sp) }
        // The whole-value class first: a compound read without a field, a variable-length sequence, a
        // reference or an array is not a column of strings or numbers.
        let wholeClass = H5Tget_class(ftype)
        if field == nil && wholeClass != H5T_STRING && wholeClass != H5T_INTEGER && wholeClass != H5T_FLOAT && wholeClass != H5T_ENUM {
            throw owner.error("\(name) has HDF5 type \(HDF5.className(wholeClass)); expected strings or numbers")
        }
        if field != nil && wholeClass != H5T_COMPOUND {
            throw owner.error("\(name) has HDF5 type \(HDF5.className(wholeClass)); expected a compound dataset with fields")
        }
        // Extent and byte counts before allocating (a buffer element is at most 8 bytes, or a fixed string's size).
        let elementBytes = max(8, H5Tget_class(ftype) == H5T_STRING && H5Tis_variable_str(ftype) <= 0 ? H5Tget_size(ftype) : 8)
        let n = try HDF5.checkExtent(
            space: sp, fileType: ftype,
            storage: isAttribute ? H5Aget_storage_size(id) : H5Dget_storage_size(id),
            dataset: isAttribute ? nil : id, memorySize: elementBytes, maxRank: 1,
            what: name, owner: owner)
        var elementType = ftype
        var ownsElement = false
        if let field {
            let idx = H5Tget_member_index(ftype, field)
            guard idx >= 0 else { throw owner.error("compound \(name) has no field \"\(field)\"") }
            elementType = H5Tget_member_type(ftype, UInt32(idx))
            ownsElement = true
        }
        defer { if ownsElement { H5Tclose(elementType) } }
        let cls = H5Tget_class(elementType)
        let what = field.map { "field \"\($0)\" of \(name)" } ?? name

        // Memory type of one element, then wrapped into a one-field compound when reading a field.
        let memElement: hid_t
        let isVariableString = cls == H5T_STRING && H5Tis_variable_str(elementType) > 0
        switch cls {
        case H5T_STRING:
            memElement = H5Tcopy(elementType)
            if !isVariableString { H5Tset_strpad(memElement, H5T_STR_NULLPAD) }
        case H5T_INTEGER, H5T_FLOAT: memElement = H5Tcopy(H5T_NATIVE_DOUBLE_g)
        case H5T_ENUM: memElement = H5Tget_native_type(elementType, H5T_DIR_ASCEND)
        default: throw owner.error("\(what): unsupported HDF5 type \(HDF5.className(cls)) (expected strings or numbers)")
        }
        defer { H5Tclose(memElement) }
        let size = H5Tget_size(memElement)
        guard size > 0 else { throw owner.error("\(what): element size 0") }
        let (bufferBytes, overflow) = n.multipliedReportingOverflow(by: size)
        guard !overflow, bufferBytes <= HDF5.memoryLimit else {
            throw owner.error("\(what): \(n) elements of \(size) bytes do not fit in memory")
        }
        var mtype = memElement
        if let field {
            mtype = H5Tcreate(H5T_COMPOUND, size)
            H5Tinsert(mtype, field, 0, memElement)
        }
        defer { if field != nil { H5Tclose(mtype) } }

        var buffer = [UInt8](repeating: 0, count: max(1, n * size))
        let status = buffer.withUnsafeMutableBytes { read(mtype, $0.baseAddress) }
        guard status >= 0 else { throw owner.error("cannot read \(what)") }

        switch cls {
        case H5T_STRING:
            if isVariableString {
                let strings: [String] = buffer.withUnsafeBytes { raw in
                    let ptrs = raw.bindMemory(to: UnsafeMutablePointer<CChar>?.self)
                    return (0..<n).map { ptrs[$0].map { String(cString: $0) } ?? "" }
                }
                _ = buffer.withUnsafeMutableBytes { H5Dvlen_reclaim(mtype, sp, defaultPlist, $0.baseAddress) }
                return .strings(strings)
            }
            return .strings(
                (0..<n).map { i in
                    var slice = buffer[(i * size)..<((i + 1) * size)]
                    if let z = slice.firstIndex(of: 0) { slice = slice[..<z] }
                    while let last = slice.last, last == 0x20 { slice = slice.dropLast() }
                    return String(decoding: slice, as: UTF8.self)
                })
        case H5T_INTEGER, H5T_FLOAT:
            let values: [Double] = buffer.withUnsafeBytes { raw in
                (0..<n).map { raw.loadUnaligned(fromByteOffset: $0 * size, as: Double.self) }
            }
            return .numbers(values, isInteger: cls == H5T_INTEGER)
        default:
            var nameBuf = [CChar](repeating: 0, count: 256)
            return .enumNames(
                try (0..<n).map { i in
                    let ok = buffer.withUnsafeBytes { raw in
                        H5Tenum_nameof(memElement, raw.baseAddress! + i * size, &nameBuf, 256)
                    }
                    guard ok >= 0 else { throw owner.error("\(what): value \(i) is not a member of its enum type") }
                    let s = String(cString: nameBuf)
                    return s == "TRUE" ? "True" : s == "FALSE" ? "False" : s
                })
        }
    }
}

extension HDF5 {
    /// The most bytes one read may allocate: the machine's memory.
    static var memoryLimit: Int { Int(clamping: ProcessInfo.processInfo.physicalMemory) }

    static func className(_ c: H5T_class_t) -> String {
        switch c {
        case H5T_INTEGER: return "integer"
        case H5T_FLOAT: return "float"
        case H5T_STRING: return "string"
        case H5T_BITFIELD: return "bitfield"
        case H5T_OPAQUE: return "opaque"
        case H5T_COMPOUND: return "compound"
        case H5T_REFERENCE: return "reference"
        case H5T_ENUM: return "enum"
        case H5T_VLEN: return "variable-length sequence"
        case H5T_ARRAY: return "array"
        default: return "class \(c.rawValue)"
        }
    }

    /// Checks a dataspace before reading it whole and returns its element count. Refused: a rank above
    /// `maxRank`; an extent or product that overflows; `memorySize`-byte elements needing more than the
    /// machine's memory; and, for datasets, declared data larger than what the file stores: unfiltered
    /// data must be fully stored, deflate-compressed data can shrink at most ~1032:1. Virtual and external
    /// storage are refused (they read other files).
    static func checkExtent(
        space: hid_t, fileType: hid_t, storage: hsize_t, dataset: hid_t?, memorySize: Int,
        maxRank: Int?, what: String, owner: H5Object
    ) throws -> Int {
        let kind = H5Sget_simple_extent_type(space)
        if kind == H5S_NULL { return 0 }
        let rank = Int(H5Sget_simple_extent_ndims(space))
        guard rank >= 0 else { throw owner.error("\(what): unreadable dataspace") }
        if kind == H5S_SCALAR || rank == 0 { return 1 }
        var dims = [hsize_t](repeating: 0, count: rank)
        H5Sget_simple_extent_dims(space, &dims, nil)
        if let maxRank, rank > maxRank {
            throw owner.error("\(what): expected \(maxRank == 1 ? "a 1-D array" : "at most \(maxRank) dimensions"), found shape \(dims)")
        }
        var n = 1
        for d in dims {
            guard d <= hsize_t(Int.max) else { throw owner.error("\(what): extent \(d) in shape \(dims) is too large") }
            let (p, o) = n.multipliedReportingOverflow(by: Int(d))
            guard !o else { throw owner.error("\(what): shape \(dims) has more elements than 2^63") }
            n = p
        }
        let (bytes, o1) = n.multipliedReportingOverflow(by: max(1, memorySize))
        guard !o1, bytes <= memoryLimit else {
            throw owner.error(
                "\(what): shape \(dims) would need \(o1 ? "more than 2^63" : String(bytes)) bytes in memory, more than this machine's \(memoryLimit) (corrupt or lying header?)"
            )
        }
        guard n > 0 else { return n }
        guard let dataset else {
            // Attribute values are stored whole, uncompressed, inside the file.
            let (declared, o) = n.multipliedReportingOverflow(by: max(1, H5Tget_size(fileType)))
            guard !o, declared <= owner.file.size else {
                throw owner.error("\(what): shape \(dims) declares more bytes than the \(owner.file.size)-byte file holds; its header is corrupt")
            }
            return n
        }
        let dcpl = H5Dget_create_plist(dataset); defer { H5Pclose(dcpl) }
        guard dcpl >= 0 else { return n }
        let layout = H5Pget_layout(dcpl)
        if layout == H5D_VIRTUAL { throw owner.error("\(what): virtual datasets (data in other files) are not read") }
        if H5Pget_external_count(dcpl) > 0 { throw owner.error("\(what): datasets stored in external files are not read") }
        let (declared, o2) = n.multipliedReportingOverflow(by: max(1, H5Tget_size(fileType)))
        let stored = min(Int(clamping: storage), owner.file.size)  // a lying header cannot claim more than the file
        let nfilters = Int(H5Pget_nfilters(dcpl))
        var ratio = 1
        if nfilters > 0 {
            // Deflate, shuffle and Fletcher-32 bound the expansion; other filters (szip, scale-offset,
            // plugins) do not, and are left to the memory bound above.
            ratio = 1100
            for i in 0..<nfilters {
                var flags: UInt32 = 0, nelmts = 0, config: UInt32 = 0
                var name = [CChar](repeating: 0, count: 64)
                let filter = H5Pget_filter2(dcpl, UInt32(i), &flags, &nelmts, nil, 64, &name, &config)
                if ![1, 2, 3].contains(filter) { ratio = 0 }
            }
        }
        if ratio > 0 {
            let (limit, o3) = stored.multipliedReportingOverflow(by: ratio)
            if o2 || (!o3 && declared > limit) {
                throw owner.error(
                    "\(what): shape \(dims) declares \(o2 ? "more than 2^63" : String(declared)) bytes but the file stores \(stored) bytes for it\(ratio > 1 ? " (compressed at most \(ratio - 68):1)" : ""); the file is truncated or its header corrupt"
                )
            }
        }
        return n
    }
}

/// `H5P_DEFAULT` and `H5S_ALL` are macros Swift imports with the wrong integer type.
let defaultPlist: hid_t = 0
let allSpace: hid_t = 0

/// A creation property list of `propertyClass` without object time stamps: files written from the same
/// content are the same bytes (reproducible outputs, comparable byte for byte).
func untimedPlist(_ propertyClass: hid_t) -> hid_t {
    let plist = H5Pcreate(propertyClass)
    H5Pset_obj_track_times(plist, false)
    return plist
}
