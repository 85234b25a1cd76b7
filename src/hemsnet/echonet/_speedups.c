/* Optional C accelerator for hemsnet.echonet.frame (CPython C API only).
 *
 * decode_frame and encode_frame take a fast path for the frames the pure-Python codec accepts
 * and hand everything else (invalid or merely unusual input: Format 2, bytes-like objects,
 * ints with __index__, lists...) to the pure-Python implementation. Errors are therefore
 * raised by Python alone and their reasons stay single-sourced in frame.py.
 *
 * The fast path validates the whole frame before allocating anything, then builds the very
 * NamedTuple types frame.py defines, as tuple.__new__ would: tp_alloc plus PyTuple_SET_ITEM.
 * The types, the Esv members and the ESV rule sets are handed over once by frame.py (setup).
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define HEADER_SIZE 12        /* EHD1 EHD2 TID(2) SEOJ(3) DEOJ(3) ESV OPC */
#define EHD1_ECHONET_LITE 0x10
#define EHD2_FORMAT1 0x81
#define MAX_U8 0xFF
#define MAX_TID 0xFFFF

#define ESV_DEFINED 0x1
#define ESV_SETGET 0x2         /* OPCSet part, OPCGet, OPCGet part */
#define ESV_NEEDS_PROPS 0x4    /* requests, INF, INFC: at least one property */

/* EOJs repeat in every frame: a direct-mapped cache keeps one object per slot, so the memory it
 * holds is bounded whatever the input. */
#define EOJ_CACHE_BITS 10
#define EOJ_CACHE_SLOTS (1u << EOJ_CACHE_BITS)

typedef struct {
    PyTypeObject *frame_type;
    PyTypeObject *property_type;
    PyTypeObject *eoj_type;
    PyObject *decode_py;
    PyObject *encode_py;
    PyObject *esv[256];        /* the Esv member for each defined code, else NULL */
    unsigned char esv_flags[256];
    uint32_t eoj_keys[EOJ_CACHE_SLOTS];
    PyObject *eoj_objs[EOJ_CACHE_SLOTS];
} codec_state;

static inline codec_state *
get_state(PyObject *module)
{
    return (codec_state *)PyModule_GetState(module);
}

static void
clear_state(codec_state *st)
{
    Py_CLEAR(st->frame_type);
    Py_CLEAR(st->property_type);
    Py_CLEAR(st->eoj_type);
    Py_CLEAR(st->decode_py);
    Py_CLEAR(st->encode_py);
    for (int i = 0; i < 256; i++) {
        Py_CLEAR(st->esv[i]);
        st->esv_flags[i] = 0;
    }
    for (unsigned i = 0; i < EOJ_CACHE_SLOTS; i++) {
        Py_CLEAR(st->eoj_objs[i]);
    }
}

/* ---------------------------------------------------------------------------------- decode */

/* Offset after `count` properties starting at `pos`, or -1 if one is truncated. */
static Py_ssize_t
scan_properties(const unsigned char *p, Py_ssize_t size, Py_ssize_t pos, Py_ssize_t count)
{
    for (Py_ssize_t i = 0; i < count; i++) {
        if (pos + 1 >= size) {
            return -1;
        }
        pos += 2 + p[pos + 1];
        if (pos > size) {
            return -1;
        }
    }
    return pos;
}

static PyObject *
intern_eoj(codec_state *st, const unsigned char *p)
{
    uint32_t key = ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2];
    uint32_t slot = (key * 2654435761u) >> (32 - EOJ_CACHE_BITS);
    PyObject *eoj = st->eoj_objs[slot];
    if (eoj != NULL && st->eoj_keys[slot] == key) {
        return Py_NewRef(eoj);
    }
    eoj = st->eoj_type->tp_alloc(st->eoj_type, 3);
    if (eoj == NULL) {
        return NULL;
    }
    /* Small ints are cached by the interpreter: these calls cannot fail. */
    PyTuple_SET_ITEM(eoj, 0, PyLong_FromLong(p[0]));
    PyTuple_SET_ITEM(eoj, 1, PyLong_FromLong(p[1]));
    PyTuple_SET_ITEM(eoj, 2, PyLong_FromLong(p[2]));
    Py_XSETREF(st->eoj_objs[slot], Py_NewRef(eoj));
    st->eoj_keys[slot] = key;
    return eoj;
}

/* A tuple of `count` Property objects; the caller has checked the bounds with scan_properties. */
static PyObject *
build_properties(codec_state *st, const unsigned char *p, Py_ssize_t pos, Py_ssize_t count)
{
    PyObject *props = PyTuple_New(count);
    if (props == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        Py_ssize_t pdc = p[pos + 1];
        PyObject *prop = st->property_type->tp_alloc(st->property_type, 2);
        if (prop == NULL) {
            Py_DECREF(props);
            return NULL;
        }
        PyTuple_SET_ITEM(props, i, prop);
        PyTuple_SET_ITEM(prop, 0, PyLong_FromLong(p[pos]));
        PyObject *edt = PyBytes_FromStringAndSize((const char *)p + pos + 2, pdc);
        if (edt == NULL) {
            Py_DECREF(props);
            return NULL;
        }
        PyTuple_SET_ITEM(prop, 1, edt);
        pos += 2 + pdc;
    }
    return props;
}

/* Fill item `i` of `frame` with a new reference; on NULL drop the frame (tuples tolerate NULL
 * items while they are torn down). */
static int
set_or_drop(PyObject *frame, Py_ssize_t i, PyObject *item)
{
    if (item == NULL) {
        Py_DECREF(frame);
        return -1;
    }
    PyTuple_SET_ITEM(frame, i, item);
    return 0;
}

static PyObject *
decode_frame(PyObject *module, PyObject *data)
{
    codec_state *st = get_state(module);
    if (st->frame_type == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "hemsnet.echonet._speedups.setup() was not called");
        return NULL;
    }
    if (!PyBytes_CheckExact(data)) {
        goto fallback;
    }
    const unsigned char *p = (const unsigned char *)PyBytes_AS_STRING(data);
    Py_ssize_t size = PyBytes_GET_SIZE(data);
    if (size < HEADER_SIZE || p[0] != EHD1_ECHONET_LITE || p[1] != EHD2_FORMAT1) {
        goto fallback;
    }
    unsigned char code = p[10];
    unsigned char flags = st->esv_flags[code];
    if (!(flags & ESV_DEFINED)) {
        goto fallback;
    }
    Py_ssize_t opc = p[11], opc_get = 0, get_at = 0;
    Py_ssize_t end = scan_properties(p, size, HEADER_SIZE, opc);
    if (end < 0) {
        goto fallback;
    }
    if (flags & ESV_SETGET) {
        if (end >= size) {
            goto fallback;
        }
        opc_get = p[end];
        get_at = end + 1;
        end = scan_properties(p, size, get_at, opc_get);
        if (end < 0) {
            goto fallback;
        }
    }
    if (end != size || (opc + opc_get == 0 && (flags & ESV_NEEDS_PROPS))) {
        goto fallback;
    }

    PyObject *frame = st->frame_type->tp_alloc(st->frame_type, 6);
    if (frame == NULL) {
        return NULL;
    }
    if (set_or_drop(frame, 0, PyLong_FromLong(((long)p[2] << 8) | p[3])) < 0
        || set_or_drop(frame, 1, intern_eoj(st, p + 4)) < 0
        || set_or_drop(frame, 2, intern_eoj(st, p + 7)) < 0
        || set_or_drop(frame, 3, Py_NewRef(st->esv[code])) < 0
        || set_or_drop(frame, 4, build_properties(st, p, HEADER_SIZE, opc)) < 0
        || set_or_drop(frame, 5, build_properties(st, p, get_at, opc_get)) < 0) {
        return NULL;
    }
    return frame;

fallback:
    return PyObject_CallOneArg(st->decode_py, data);
}

/* ---------------------------------------------------------------------------------- encode */

/* An exact int in 0..max; anything else (bool, __index__ objects, out of range) is Python's. */
static int
small_int(PyObject *obj, long max, long *out)
{
    if (!PyLong_CheckExact(obj)) {
        return 0;
    }
    int overflow;
    long value = PyLong_AsLongAndOverflow(obj, &overflow);  /* cannot fail on an exact int */
    if (overflow || value < 0 || value > max) {
        return 0;
    }
    *out = value;
    return 1;
}

/* Three bytes from an Eoj or a plain tuple of three exact ints. */
static int
read_eoj(codec_state *st, PyObject *eoj, unsigned char *out)
{
    if (!(Py_IS_TYPE(eoj, st->eoj_type) || PyTuple_CheckExact(eoj))
        || PyTuple_GET_SIZE(eoj) != 3) {
        return 0;
    }
    for (Py_ssize_t i = 0; i < 3; i++) {
        long byte;
        if (!small_int(PyTuple_GET_ITEM(eoj, i), MAX_U8, &byte)) {
            return 0;
        }
        out[i] = (unsigned char)byte;
    }
    return 1;
}

/* The encoded size of a property part (EPC PDC EDT each), or -1 if it needs Python. */
static Py_ssize_t
properties_size(codec_state *st, PyObject *props)
{
    if (!PyTuple_CheckExact(props) || PyTuple_GET_SIZE(props) > MAX_U8) {
        return -1;
    }
    Py_ssize_t total = 0;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(props); i++) {
        PyObject *prop = PyTuple_GET_ITEM(props, i);
        long epc;
        if (!(Py_IS_TYPE(prop, st->property_type) || PyTuple_CheckExact(prop))
            || PyTuple_GET_SIZE(prop) != 2
            || !small_int(PyTuple_GET_ITEM(prop, 0), MAX_U8, &epc)) {
            return -1;
        }
        PyObject *edt = PyTuple_GET_ITEM(prop, 1);
        if (!PyBytes_CheckExact(edt) || PyBytes_GET_SIZE(edt) > MAX_U8) {
            return -1;
        }
        total += 2 + PyBytes_GET_SIZE(edt);
    }
    return total;
}

/* Write a part checked by properties_size; return the position after it. */
static unsigned char *
write_properties(unsigned char *out, PyObject *props)
{
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(props); i++) {
        PyObject *prop = PyTuple_GET_ITEM(props, i);
        PyObject *edt = PyTuple_GET_ITEM(prop, 1);
        Py_ssize_t pdc = PyBytes_GET_SIZE(edt);
        *out++ = (unsigned char)PyLong_AsLong(PyTuple_GET_ITEM(prop, 0));
        *out++ = (unsigned char)pdc;
        memcpy(out, PyBytes_AS_STRING(edt), (size_t)pdc);
        out += pdc;
    }
    return out;
}

static PyObject *
encode_frame(PyObject *module, PyObject *frame)
{
    codec_state *st = get_state(module);
    if (st->frame_type == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "hemsnet.echonet._speedups.setup() was not called");
        return NULL;
    }
    if (!Py_IS_TYPE(frame, st->frame_type) || PyTuple_GET_SIZE(frame) != 6) {
        goto fallback;
    }
    unsigned char header[HEADER_SIZE];
    long tid, code;
    PyObject *esv = PyTuple_GET_ITEM(frame, 3);
    PyObject *props = PyTuple_GET_ITEM(frame, 4);
    PyObject *get_props = PyTuple_GET_ITEM(frame, 5);
    if (!small_int(PyTuple_GET_ITEM(frame, 0), MAX_TID, &tid)
        || !read_eoj(st, PyTuple_GET_ITEM(frame, 1), header + 4)
        || !read_eoj(st, PyTuple_GET_ITEM(frame, 2), header + 7)) {
        goto fallback;
    }
    /* The ESV is an exact int or the Esv member itself (int subclasses may redefine eq). */
    if (!PyLong_Check(esv)) {
        goto fallback;
    }
    int overflow;
    code = PyLong_AsLongAndOverflow(esv, &overflow);
    if (overflow || code < 0 || code > MAX_U8 || !(st->esv_flags[code] & ESV_DEFINED)
        || !(PyLong_CheckExact(esv) || esv == st->esv[code])) {
        goto fallback;
    }
    unsigned char flags = st->esv_flags[code];
    Py_ssize_t set_size = properties_size(st, props);
    if (set_size < 0 || !PyTuple_CheckExact(get_props)) {
        goto fallback;
    }
    Py_ssize_t total = HEADER_SIZE + set_size;
    if (flags & ESV_SETGET) {
        Py_ssize_t get_size = properties_size(st, get_props);
        if (get_size < 0) {
            goto fallback;
        }
        total += 1 + get_size;
    }
    else if (PyTuple_GET_SIZE(get_props) != 0) {
        goto fallback;
    }
    if (PyTuple_GET_SIZE(props) + PyTuple_GET_SIZE(get_props) == 0
        && (flags & ESV_NEEDS_PROPS)) {
        goto fallback;
    }

    PyObject *encoded = PyBytes_FromStringAndSize(NULL, total);
    if (encoded == NULL) {
        return NULL;
    }
    unsigned char *out = (unsigned char *)PyBytes_AS_STRING(encoded);
    header[0] = EHD1_ECHONET_LITE;
    header[1] = EHD2_FORMAT1;
    header[2] = (unsigned char)(tid >> 8);
    header[3] = (unsigned char)tid;
    header[10] = (unsigned char)code;
    header[11] = (unsigned char)PyTuple_GET_SIZE(props);
    memcpy(out, header, HEADER_SIZE);
    out = write_properties(out + HEADER_SIZE, props);
    if (flags & ESV_SETGET) {
        *out++ = (unsigned char)PyTuple_GET_SIZE(get_props);
        write_properties(out, get_props);
    }
    return encoded;

fallback:
    return PyObject_CallOneArg(st->encode_py, frame);
}

/* ----------------------------------------------------------------------------------- setup */

static int
take_type(PyObject *obj, const char *name, PyTypeObject **slot)
{
    if (!PyType_Check(obj) || !PyType_IsSubtype((PyTypeObject *)obj, &PyTuple_Type)) {
        PyErr_Format(PyExc_TypeError, "%s must be a tuple subclass", name);
        return -1;
    }
    *slot = (PyTypeObject *)Py_NewRef(obj);
    return 0;
}

/* Mark every code of an iterable of ints with `flag`. */
static int
flag_codes(codec_state *st, PyObject *codes, unsigned char flag)
{
    PyObject *iter = PyObject_GetIter(codes);
    if (iter == NULL) {
        return -1;
    }
    PyObject *item;
    while ((item = PyIter_Next(iter)) != NULL) {
        long code = PyLong_AsLong(item);
        Py_DECREF(item);
        if (code < 0 || code > MAX_U8) {
            if (!PyErr_Occurred()) {
                PyErr_SetString(PyExc_ValueError, "ESV codes must be in 0..255");
            }
            Py_DECREF(iter);
            return -1;
        }
        st->esv_flags[code] |= flag;
    }
    Py_DECREF(iter);
    return PyErr_Occurred() ? -1 : 0;
}

static int
setup_state(codec_state *st, PyObject *const *args)
{
    if (take_type(args[0], "frame_type", &st->frame_type) < 0
        || take_type(args[1], "property_type", &st->property_type) < 0
        || take_type(args[2], "eoj_type", &st->eoj_type) < 0) {
        return -1;
    }
    PyObject *esv_by_code = args[3];
    if (!PyDict_Check(esv_by_code)) {
        PyErr_SetString(PyExc_TypeError, "esv_by_code must be a dict");
        return -1;
    }
    Py_ssize_t pos = 0;
    PyObject *key, *member;
    while (PyDict_Next(esv_by_code, &pos, &key, &member)) {
        long code = PyLong_AsLong(key);
        if (code < 0 || code > MAX_U8) {
            if (!PyErr_Occurred()) {
                PyErr_SetString(PyExc_ValueError, "ESV codes must be in 0..255");
            }
            return -1;
        }
        Py_XSETREF(st->esv[code], Py_NewRef(member));
        st->esv_flags[code] |= ESV_DEFINED;
    }
    if (flag_codes(st, args[4], ESV_SETGET) < 0 || flag_codes(st, args[5], ESV_NEEDS_PROPS) < 0) {
        return -1;
    }
    if (!PyCallable_Check(args[6]) || !PyCallable_Check(args[7])) {
        PyErr_SetString(PyExc_TypeError, "decode_py and encode_py must be callable");
        return -1;
    }
    st->decode_py = Py_NewRef(args[6]);
    st->encode_py = Py_NewRef(args[7]);
    return 0;
}

static PyObject *
setup(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 8) {
        PyErr_Format(PyExc_TypeError, "setup() takes 8 positional arguments (%zd given)", nargs);
        return NULL;
    }
    codec_state *st = get_state(module);
    clear_state(st);
    if (setup_state(st, args) < 0) {
        clear_state(st);  /* a half-set state must not reach the fast paths */
        return NULL;
    }
    Py_RETURN_NONE;
}

/* ---------------------------------------------------------------------------------- module */

PyDoc_STRVAR(decode_frame_doc,
"decode_frame(data, /)\n--\n\n"
"Decode one ECHONET Lite frame, strictly; raise FrameError for anything else.");

PyDoc_STRVAR(encode_frame_doc,
"encode_frame(frame, /)\n--\n\n"
"Encode a frame; raise EncodeError for one the protocol cannot carry.");

PyDoc_STRVAR(setup_doc,
"setup(frame_type, property_type, eoj_type, esv_by_code, setget_codes, needs_properties,\n"
"      decode_py, encode_py, /)\n--\n\n"
"Hand over the value types, the ESV rules and the pure-Python codec (done by frame.py).");

static PyMethodDef speedups_methods[] = {
    {"decode_frame", (PyCFunction)decode_frame, METH_O, decode_frame_doc},
    {"encode_frame", (PyCFunction)encode_frame, METH_O, encode_frame_doc},
    {"setup", (PyCFunction)(void (*)(void))setup, METH_FASTCALL, setup_doc},
    {NULL, NULL, 0, NULL},
};

static int
speedups_traverse(PyObject *module, visitproc visit, void *arg)
{
    codec_state *st = get_state(module);
    Py_VISIT(st->frame_type);
    Py_VISIT(st->property_type);
    Py_VISIT(st->eoj_type);
    Py_VISIT(st->decode_py);
    Py_VISIT(st->encode_py);
    for (int i = 0; i < 256; i++) {
        Py_VISIT(st->esv[i]);
    }
    for (unsigned i = 0; i < EOJ_CACHE_SLOTS; i++) {
        Py_VISIT(st->eoj_objs[i]);
    }
    return 0;
}

static int
speedups_clear(PyObject *module)
{
    clear_state(get_state(module));
    return 0;
}

static void
speedups_free(void *module)
{
    clear_state(get_state((PyObject *)module));
}

static struct PyModuleDef speedups_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "hemsnet.echonet._speedups",
    .m_doc = "C fast paths for hemsnet.echonet.frame; invalid input falls back to Python.",
    .m_size = sizeof(codec_state),
    .m_methods = speedups_methods,
    .m_traverse = speedups_traverse,
    .m_clear = speedups_clear,
    .m_free = speedups_free,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    /* Module state is zero-filled by the interpreter: no setup() yet means no fast path. */
    return PyModule_Create(&speedups_module);
}
