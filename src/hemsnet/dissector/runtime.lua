-- The dissector's runtime: the frame structure [EL §3.2] and one decoder per kind of EDT codec.
-- hemsnet's class tables (generated, above) name each property and its codec; the codecs
-- here render a value exactly as `hemsnet decode` does, so the two can be compared field by
-- field. Nothing here raises on a frame: a frame that breaks the structure is flagged
-- malformed (expert info), an EDT that does not fit its property is flagged invalid.

local el = Proto("echonet_lite", "ECHONET Lite (hemsnet)")
local f = el.fields
f.ehd1 = ProtoField.uint8("echonet_lite.ehd1", "EHD1", base.HEX)
f.ehd2 = ProtoField.uint8("echonet_lite.ehd2", "EHD2", base.HEX)
f.tid = ProtoField.uint16("echonet_lite.tid", "TID", base.DEC_HEX)
f.seoj = ProtoField.string("echonet_lite.seoj", "SEOJ")
f.seoj_class = ProtoField.string("echonet_lite.seoj_class", "SEOJ class")
f.deoj = ProtoField.string("echonet_lite.deoj", "DEOJ")
f.deoj_class = ProtoField.string("echonet_lite.deoj_class", "DEOJ class")
f.esv = ProtoField.uint8("echonet_lite.esv", "ESV", base.HEX)
f.esv_symbol = ProtoField.string("echonet_lite.esv_symbol", "Service")
f.opc = ProtoField.uint8("echonet_lite.opc", "OPC")
f.part = ProtoField.string("echonet_lite.part", "Part")
f.property = ProtoField.none("echonet_lite.property", "Property")
f.epc = ProtoField.uint8("echonet_lite.epc", "EPC", base.HEX)
f.epc_name = ProtoField.string("echonet_lite.epc_name", "Name")
f.pdc = ProtoField.uint8("echonet_lite.pdc", "PDC")
f.edt = ProtoField.bytes("echonet_lite.edt", "EDT")
f.value = ProtoField.string("echonet_lite.value", "Value")
f.invalid = ProtoField.string("echonet_lite.invalid", "Invalid value")
f.payload = ProtoField.bytes("echonet_lite.payload", "Format 2 payload")

local ef_malformed = ProtoExpert.new("echonet_lite.malformed.expert", "Malformed ECHONET Lite frame",
    expert.group.MALFORMED, expert.severity.ERROR)
local ef_invalid = ProtoExpert.new("echonet_lite.invalid.expert", "EDT does not fit its property",
    expert.group.PROTOCOL, expert.severity.WARN)
el.experts = { ef_malformed, ef_invalid }

-- --- bytes and numbers ------------------------------------------------------------------------

local function be(s, i, n)  -- unsigned big-endian of n bytes at 1-based i
    local v = 0
    for k = i, i + n - 1 do v = v * 256 + s:byte(k) end
    return v
end

local function signed(v, n)
    local half = 2 ^ (8 * n - 1)
    if v >= half then return v - 2 * half end
    return v
end

local function int(v) return string.format("%d", v) end

local function hex_text(s)  -- "01 02 FF", "(empty)"
    if #s == 0 then return "(empty)" end
    local out = {}
    for k = 1, #s do out[k] = string.format("%02X", s:byte(k)) end
    return table.concat(out, " ")
end

local function rstrip(s) return (s:gsub("%s+$", "")) end

local function decimal(v, places)  -- v * 10^-places as Python's Decimal prints it
    if places == 0 then return int(v) end
    local sign = v < 0 and "-" or ""
    local digits = int(math.abs(v))
    if #digits <= places then digits = string.rep("0", places - #digits + 1) .. digits end
    return sign .. digits:sub(1, #digits - places) .. "." .. digits:sub(#digits - places + 1)
end

local function size_is(s, n)
    if #s ~= n then return string.format("%d bytes, expected %d", #s, n) end
end

-- --- dates and times --------------------------------------------------------------------------

local function leap(y) return (y % 4 == 0 and y % 100 ~= 0) or y % 400 == 0 end
local MONTH_DAYS = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 }

local function valid_date(y, m, d)
    if y < 1 or y > 9999 or m < 1 or m > 12 or d < 1 then return false end  -- Python's range
    local last = MONTH_DAYS[m]
    if m == 2 and leap(y) then last = 29 end
    return d <= last
end

local function datetime(s, i, seconds)  -- dt7 / dt6 at i
    local y, mo, d, h, mi = be(s, i, 2), s:byte(i + 2), s:byte(i + 3), s:byte(i + 4), s:byte(i + 5)
    local sec = seconds and s:byte(i + 6) or 0
    if not valid_date(y, mo, d) or h > 23 or mi > 59 or sec > 59 then
        return nil, "invalid date-time"
    end
    if seconds then
        return string.format("%04d-%02d-%02d %02d:%02d:%02d", y, mo, d, h, mi, sec), nil, mi
    end
    return string.format("%04d-%02d-%02d %02d:%02d", y, mo, d, h, mi), nil, mi
end

-- --- meter readings ---------------------------------------------------------------------------

local READING_MAX = 99999999

local function reading(s, i)  -- text of a u32 reading, or nil, error
    local v = be(s, i, 4)
    if v <= READING_MAX then return int(v) end
    if v == 0xFFFFFFFF or v == 0xFFFFFFFE then return "no data" end
    return nil, "reading above 99,999,999 and not no-data"
end

local function dt6_or_default(s, i, step)
    if s:sub(i, i + 5) == string.rep("\255", 6) then return "default" end
    local text, err, minute = datetime(s, i, false)
    if not text then return nil, err end
    if minute % step ~= 0 then return nil, "minute not on the step" end
    return text
end

-- --- the codecs: c.k names the kind, the other keys its parameters ----------------------------

local decode  -- forward: decode(c, s) -> text | nil, error

local KINDS = {}

function KINDS.uint(c, s)
    local e = size_is(s, c.size); if e then return nil, e end
    local v = be(s, 1, c.size)
    if v < c.lo or v > c.hi then return nil, "out of range" end
    if c.hex > 0 then return string.format("0x%0" .. c.hex .. "X", v) end
    return rstrip(int(v) .. " " .. c.unit)
end

function KINDS.sint(c, s)
    local e = size_is(s, c.size); if e then return nil, e end
    local v = signed(be(s, 1, c.size), c.size)
    if v < c.lo or v > c.hi then return nil, "out of range" end
    return rstrip(int(v) .. " " .. c.unit)
end

local function raw_int(c, s)  -- the integer of an uint/sint codec, range-checked
    local e = size_is(s, c.size); if e then return nil, e end
    local v = be(s, 1, c.size)
    if c.k == "sint" then v = signed(v, c.size) end
    if v < c.lo or v > c.hi then return nil, "out of range" end
    return v
end

function KINDS.scaled(c, s)
    local v, e = raw_int(c.inner, s)
    if not v then return nil, e end
    return decimal(v, c.places) .. " " .. c.unit
end

function KINDS.ornone(c, s)
    for _, code in ipairs(c.codes) do
        if s == code then return c.label end
    end
    return decode(c.inner, s)
end

function KINDS.labels(c, s)  -- Enumerated and CodeTable: every code's text, from the table
    local e = size_is(s, 1); if e then return nil, e end
    local text = c.labels[s:byte(1)]
    if not text then return nil, "undefined code" end
    return text
end

function KINDS.raw(c, s)
    if #s < c.min or #s > c.max then return nil, "size" end
    return hex_text(s)
end

function KINDS.ascii(c, s)
    if #s < c.min or #s > c.max then return nil, "size" end
    local text = s:gsub("^[%z ]+", ""):gsub("[%z ]+$", "")
    if text:find("[^\32-\126]") then return nil, "not printable ASCII text" end
    return text
end

function KINDS.utf8(c, s)
    if #s < c.min or #s > c.max then return nil, "size" end
    return s
end

function KINDS.datetime(c, s)
    local e = size_is(s, c.seconds and 7 or 6); if e then return nil, e end
    local text, err = datetime(s, 1, c.seconds)
    return text, err
end

function KINDS.date(_, s)
    local e = size_is(s, 4); if e then return nil, e end
    local y, m, d = be(s, 1, 2), s:byte(3), s:byte(4)
    if not valid_date(y, m, d) then return nil, "invalid date" end
    return string.format("%04d-%02d-%02d", y, m, d)
end

function KINDS.time(_, s)
    local e = size_is(s, 2); if e then return nil, e end
    local h, m = s:byte(1), s:byte(2)
    if h > 23 or m > 59 then return nil, "invalid time" end
    return string.format("%02d:%02d", h, m)
end

function KINDS.propmap(_, s)  -- both forms [EL Appendix Annex 1]
    if #s < 1 or #s > 17 then return nil, "size" end
    local n, epcs = s:byte(1), {}
    if n < 16 then
        if #s ~= n + 1 then return nil, "list form: count and size differ" end
        local seen = {}
        for k = 2, #s do
            local epc = s:byte(k)
            if epc < 0x80 or seen[epc] then return nil, "bad EPC in the list" end
            seen[epc] = true
            epcs[#epcs + 1] = epc
        end
    else
        if #s ~= 17 then return nil, "bitmap form needs 17 bytes" end
        for row = 0, 15 do
            local byte = s:byte(2 + row)
            for bit = 0, 7 do
                if bit32.band(byte, bit32.lshift(1, bit)) ~= 0 then
                    epcs[#epcs + 1] = 0x80 + bit * 16 + row
                end
            end
        end
        if #epcs ~= n then return nil, "bitmap count differs" end
    end
    table.sort(epcs)
    if #epcs == 0 then return "0 EPCs" end
    local codes = {}
    for k, epc in ipairs(epcs) do codes[k] = string.format("0x%02X", epc) end
    return #epcs .. " EPCs: " .. table.concat(codes, " ")
end

function KINDS.instances(_, s)
    if #s < 1 or (#s - 1) % 3 ~= 0 then return nil, "not a count and EOJs" end
    local listed = (#s - 1) / 3
    if listed > 84 or s:byte(1) < listed then return nil, "count" end
    local eojs = {}
    for k = 0, listed - 1 do
        eojs[k + 1] = string.format("%02X%02X%02X", s:byte(2 + 3 * k, 4 + 3 * k))
    end
    return s:byte(1) .. " instances: " .. table.concat(eojs, " ")
end

function KINDS.classes(_, s)
    if #s < 1 or (#s - 1) % 2 ~= 0 then return nil, "not a count and classes" end
    local listed = (#s - 1) / 2
    if listed > 8 or s:byte(1) < listed then return nil, "count" end
    local ids = {}
    for k = 0, listed - 1 do ids[k + 1] = string.format("0x%04X", be(s, 2 + 2 * k, 2)) end
    return s:byte(1) .. " classes: " .. table.concat(ids, " ")
end

local ROOMS = {
    "living room", "dining room", "kitchen", "bathroom", "lavatory", "washroom/changing room",
    "passageway", "room", "stairway", "front door", "storeroom", "garden/perimeter", "garage",
    "veranda/balcony", "others",
}

function KINDS.location(c, s)
    local code = s:byte(1)
    if #s == 1 and not (code >= 1 and code <= 7) then
        if code == 0 then return "not set" end
        if code == 0xFF then return "not fixed" end
        if code >= 0x80 then return string.format("free definition 0x%02X", code) end
        local room = ROOMS[bit32.rshift(code, 3)]
        if not room then return nil, "undefined room" end
        return room .. " #" .. bit32.band(code, 7)
    end
    if #s == 17 and c.max == 17 and code == 1 then
        return "position information " .. hex_text(s:sub(2))
    end
    return nil, "not a location"
end

function KINDS.stdversion(_, s)
    local e = size_is(s, 4); if e then return nil, e end
    if s:byte(1) ~= 0 or s:byte(2) ~= 0 then return nil, "bytes 1-2 not 0x00" end
    local letter = s:byte(3)
    local release
    if letter == 0x61 then release = "A"
    elseif letter >= 66 and letter <= 90 then release = string.char(letter)
    else return nil, "not a release letter" end
    local revision = s:byte(4)
    return "Release " .. release .. (revision ~= 0 and (" revision " .. revision) or "")
end

function KINDS.protoversion(_, s)
    local e = size_is(s, 4); if e then return nil, e end
    local kinds = {}
    for bit = 0, 1 do
        if bit32.band(s:byte(3), bit32.lshift(1, bit)) ~= 0 then
            kinds[#kinds + 1] = "format " .. (bit + 1)
        end
    end
    local formats = #kinds > 0 and table.concat(kinds, " and ") or "no format"
    return "ECHONET Lite " .. s:byte(1) .. "." .. s:byte(2) .. ", " .. formats
end

function KINDS.idnumber(_, s)
    local e = size_is(s, 17); if e then return nil, e end
    if s:byte(1) == 0xFE then
        return string.format("manufacturer 0x%06X unique ", be(s, 2, 3)) .. hex_text(s:sub(5))
    end
    return string.format("type 0x%02X ", s:byte(1)) .. hex_text(s:sub(2))
end

function KINDS.routebid(_, s)
    local e = size_is(s, 16); if e then return nil, e end
    if s:byte(1) ~= 0 then return "not Japan layout: " .. hex_text(s) end
    return string.format("manufacturer 0x%06X ID ", be(s, 2, 3)) .. hex_text(s:sub(5))
end

local TIME_UNITS = { [0x41] = "seconds", [0x42] = "minutes", [0x43] = "hours", [0x44] = "days" }

function KINDS.optime(_, s)
    local e = size_is(s, 5); if e then return nil, e end
    local unit = TIME_UNITS[s:byte(1)]
    if not unit then return nil, "not a time unit" end
    return int(be(s, 2, 4)) .. " " .. unit
end

function KINDS.single(c, s)
    local e = size_is(s, 4); if e then return nil, e end
    local v, err = reading(s, 1)
    if not v then return nil, err end
    if v == "no data" then return v end
    return "raw " .. v .. " " .. c.per
end

local function pair(s, i)
    local n, e1 = reading(s, i)
    if not n then return nil, e1 end
    local r, e2 = reading(s, i + 4)
    if not r then return nil, e2 end
    return n, r
end

function KINDS.pair(c, s)
    local e = size_is(s, 8); if e then return nil, e end
    local n, r = pair(s, 1)
    if not n then return nil, r end
    return "normal " .. n .. " reverse " .. r .. " " .. c.per
end

function KINDS.timedpair(c, s)
    local e = size_is(s, 15); if e then return nil, e end
    local at, err = datetime(s, 1, true)
    if not at then return nil, err end
    local n, r = pair(s, 8)
    if not n then return nil, r end
    return at .. " normal " .. n .. " reverse " .. r .. " " .. c.per
end

function KINDS.timedsingle(c, s)
    local e = size_is(s, 11); if e then return nil, e end
    local at, err = datetime(s, 1, true)
    if not at then return nil, err end
    local v, err2 = reading(s, 8)
    if not v then return nil, err2 end
    return at .. " " .. v .. " " .. c.per
end

function KINDS.day48(c, s)  -- a day of half-hours [AIF 3.3.3]
    local e = size_is(s, 194); if e then return nil, e end
    local day = be(s, 1, 2)
    if day > 99 and day ~= 0xFF then return nil, "day outside 0..99" end
    local slots = {}
    for k = 0, 47 do
        local v, err = reading(s, 3 + 4 * k)
        if not v then return nil, err end
        slots[k + 1] = string.format("%02d:%02d ", math.floor(k / 2), 30 * (k % 2)) .. v
    end
    local head = day == 0xFF and "default day" or ("day " .. day)
    return head .. ", raw " .. c.per .. ": " .. table.concat(slots, " | ")
end

function KINDS.segments(c, s)  -- dt6 + count + pairs [AIF 3.3.5]
    if #s < 7 then return nil, "short" end
    local start, err = dt6_or_default(s, 1, c.step)
    if not start then return nil, err end
    local count = s:byte(7)
    if count < 1 or count > c.max_count then return nil, "segment count" end
    if #s ~= 7 + 8 * count then return nil, "size and count differ" end
    local parts = {}
    for k = 0, count - 1 do
        local n, r = pair(s, 8 + 8 * k)
        if not n then return nil, r end
        parts[k + 1] = n .. "/" .. r
    end
    return start .. ", " .. count .. " segments normal/reverse raw " .. c.per .. ": "
        .. table.concat(parts, " | ")
end

function KINDS.selector(c, s)
    local e = size_is(s, 7); if e then return nil, e end
    local start, err = dt6_or_default(s, 1, c.step)
    if not start then return nil, err end
    local count = s:byte(7)
    if count < 1 or count > c.max_count then return nil, "segment count" end
    if start == "default" then return "default (not set), " .. count .. " segments" end
    return start .. ", " .. count .. " segments"
end

function KINDS.currents(c, s)  -- R and T, signed 0.1 A, max - 1 no data
    local e = size_is(s, 2 * c.width); if e then return nil, e end
    local limit = 2 ^ (8 * c.width - 1) - 1
    local out = {}
    for k, name in ipairs({ "R", "T" }) do
        local v = signed(be(s, 1 + (k - 1) * c.width, c.width), c.width)
        local text
        if v == limit - 1 then text = "no data"
        elseif v < -limit or v > limit - 2 then return nil, "current out of range"
        else text = decimal(v, 1) .. " A" end
        out[k] = name .. " " .. text
    end
    return table.concat(out, " ")
end

function KINDS.tuple(c, s)
    local e = size_is(s, c.size * c.count); if e then return nil, e end
    local out = {}
    for k = 0, c.count - 1 do
        local v = be(s, 1 + k * c.size, c.size)
        if v > c.hi then return nil, "out of range" end
        out[k + 1] = string.format("%g", v * c.step) .. " " .. c.unit
    end
    return table.concat(out, " / ")
end

function KINDS.prefixed(c, s)
    if #s < 1 or s:byte(1) > c.limit or #s ~= 1 + s:byte(1) then
        return nil, "the size byte does not match the data"
    end
    return hex_text(s:sub(2))
end

decode = function(c, s)
    local kind = KINDS[c.k]
    if not kind then return nil, "no decoder for " .. tostring(c.k) end
    return kind(c, s)
end

-- --- the frame --------------------------------------------------------------------------------

local ESV = {
    [0x50] = "SetI_SNA", [0x51] = "SetC_SNA", [0x52] = "Get_SNA", [0x53] = "INF_SNA",
    [0x5E] = "SetGet_SNA", [0x60] = "SetI", [0x61] = "SetC", [0x62] = "Get", [0x63] = "INF_REQ",
    [0x6E] = "SetGet", [0x71] = "Set_Res", [0x72] = "Get_Res", [0x73] = "INF", [0x74] = "INFC",
    [0x7A] = "INFC_Res", [0x7E] = "SetGet_Res",
}
local SETGET = { [0x5E] = true, [0x6E] = true, [0x7E] = true }
local NEEDS_PROPERTIES = { [0x60] = true, [0x61] = true, [0x62] = true, [0x63] = true,
    [0x6E] = true, [0x73] = true, [0x74] = true }

local function class_name(id)
    local table_ = CLASSES[id]
    if table_ then return table_.name end
    return string.format("class 0x%04X", id)
end

local function lookup(class_id, epc)
    local table_ = CLASSES[class_id]
    if not table_ and bit32.rshift(class_id, 8) ~= 0x0E then table_ = CLASSES[0x0000] end
    if not table_ then return nil end
    return table_.props[epc]
end

-- The properties of one part from offset at; their ranges, or nil and why not.
local function split(s, at, count)
    local props = {}
    for index = 1, count do
        if at + 1 > #s then return nil, "truncated property " .. index .. ": EPC/PDC missing" end
        local pdc = s:byte(at + 1)
        if at + 1 + pdc > #s then return nil, "truncated property " .. index .. ": EDT past the end" end
        props[index] = { at = at, epc = s:byte(at), pdc = pdc }
        at = at + 2 + pdc
    end
    return props, nil, at
end

local function show_property(tree, tvb, s, p, class_id)
    local size = 2 + p.pdc
    local range = tvb(p.at - 1, size)
    local edt = s:sub(p.at + 2, p.at + 1 + p.pdc)
    local row = lookup(class_id, p.epc)
    local name = row and row.name or string.format("unknown EPC 0x%02X", p.epc)
    local item = tree:add(f.property, range)
    item:add(f.epc, tvb(p.at - 1, 1))
    item:add(f.epc_name, tvb(p.at - 1, 1), name)
    item:add(f.pdc, tvb(p.at, 1))
    local label = string.format("0x%02X  %s", p.epc, name)
    if p.pdc == 0 then
        item:set_text(label .. ": (no EDT)")
        return
    end
    local edt_range = tvb(p.at + 1, p.pdc)
    item:add(f.edt, edt_range)
    if not row then
        item:set_text(label .. ": " .. hex_text(edt))
        return
    end
    local text, err
    if p.pdc < row.min or p.pdc > row.max then
        text, err = nil, "PDC " .. p.pdc .. " outside the property's sizes"
    else
        local ok, t, e = pcall(decode, row.codec, edt)
        if not ok then text, err = nil, "decoder error: " .. tostring(t) else text, err = t, e end
    end
    if text then
        item:add(f.value, edt_range, text)
        item:set_text(label .. ": " .. text)
    else
        item:add(f.invalid, edt_range, err or "invalid")
        item:add_proto_expert_info(ef_invalid, string.format("0x%02X: %s", p.epc, err or "invalid"))
        item:set_text(label .. ": INVALID " .. (err or "") .. ": " .. hex_text(edt))
    end
end

local function malformed(tree, tvb, reason)
    tree:add_proto_expert_info(ef_malformed, reason)
end

function el.dissector(tvb, pinfo, root)
    local s = tvb:raw()
    pinfo.cols.protocol = "ECHONET Lite"
    local tree = root:add(el, tvb())
    if #s < 2 or s:byte(1) ~= 0x10 or (s:byte(2) ~= 0x81 and s:byte(2) ~= 0x82) then
        malformed(tree, tvb, "not an ECHONET Lite header (EHD1 0x10, EHD2 0x81/0x82)")
        pinfo.cols.info = "ECHONET Lite, malformed header"
        return #s
    end
    tree:add(f.ehd1, tvb(0, 1))
    tree:add(f.ehd2, tvb(1, 1))
    if s:byte(2) == 0x82 then
        if #s < 4 then return malformed(tree, tvb, "truncated Format 2 header") end
        tree:add(f.tid, tvb(2, 2))
        tree:add(f.payload, tvb(4))
        pinfo.cols.info = "ECHONET Lite Format 2"
        return #s
    end
    if #s < 12 then
        malformed(tree, tvb, "truncated header: a Format 1 header needs 12 bytes")
        return #s
    end
    tree:add(f.tid, tvb(2, 2))
    local seoj, deoj = string.format("%02X%02X%02X", s:byte(5, 7)), string.format("%02X%02X%02X", s:byte(8, 10))
    local seoj_class, deoj_class = be(s, 5, 2), be(s, 8, 2)
    tree:add(f.seoj, tvb(4, 3), seoj)
    tree:add(f.seoj_class, tvb(4, 2), class_name(seoj_class))
    tree:add(f.deoj, tvb(7, 3), deoj)
    tree:add(f.deoj_class, tvb(7, 2), class_name(deoj_class))
    local code = s:byte(11)
    tree:add(f.esv, tvb(10, 1))
    local symbol = ESV[code]
    if not symbol then
        malformed(tree, tvb, string.format("ESV 0x%02X is reserved", code))
        return #s
    end
    tree:add(f.esv_symbol, tvb(10, 1), symbol)
    -- The table that describes the EDTs: the target of a request, else the sender.
    local value_class = (code >= 0x60 and code <= 0x6F) and deoj_class or seoj_class
    local parts = {}
    local opc = s:byte(12)
    local props, err, at = split(s, 13, opc)
    if not props then malformed(tree, tvb, err); return #s end
    if SETGET[code] then
        if at > #s then malformed(tree, tvb, "truncated: OPCGet missing"); return #s end
        local opc_get = s:byte(at)
        local get_props, err2, fin = split(s, at + 1, opc_get)
        if not get_props then malformed(tree, tvb, err2); return #s end
        at = fin
        if code == 0x6E and opc + opc_get == 0 then
            malformed(tree, tvb, "OPCSet = OPCGet = 0 in SetGet"); return #s
        end
        parts = { { "set", props, 11 }, { "get", get_props, nil } }
    else
        if opc == 0 and NEEDS_PROPERTIES[code] then
            malformed(tree, tvb, "OPC = 0 in " .. symbol .. ", which must carry properties")
            return #s
        end
        parts = { { nil, props, 11 } }
    end
    if at ~= #s + 1 then
        malformed(tree, tvb, (#s + 1 - at) .. " trailing bytes after the last property")
        return #s
    end
    for _, part in ipairs(parts) do
        local name, list = part[1], part[2]
        if name then tree:add(f.part, name) end
        if part[3] then tree:add(f.opc, tvb(part[3], 1)) end
        for _, p in ipairs(list) do show_property(tree, tvb, s, p, value_class) end
    end
    pinfo.cols.info = string.format("%s %s -> %s TID %d", symbol, seoj, deoj, be(s, 3, 2))
    tree:append_text(string.format(", %s, TID %d", symbol, be(s, 3, 2)))
    return #s
end

DissectorTable.get("udp.port"):add(3610, el)
