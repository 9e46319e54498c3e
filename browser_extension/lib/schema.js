// A very small schema checker: each schema is a function returning null when the value
// fits, or a short description of the first problem ("data.text: expected a string").

const describe = (path, problem) => (path ? `${path}: ${problem}` : problem);

export function string({ max = 100000, min = 0, optional = false } = {}) {
  return (value, path = "") => {
    if (value === undefined || value === null) return optional ? null : describe(path, "missing");
    if (typeof value !== "string") return describe(path, "expected a string");
    if (value.length < min) return describe(path, `shorter than ${min}`);
    if (value.length > max) return describe(path, `longer than ${max}`);
    return null;
  };
}

export function number({ optional = false, integer = false, min = -Infinity } = {}) {
  return (value, path = "") => {
    if (value === undefined || value === null) return optional ? null : describe(path, "missing");
    if (typeof value !== "number" || !Number.isFinite(value)) {
      return describe(path, "expected a number");
    }
    if (integer && !Number.isInteger(value)) return describe(path, "expected an integer");
    if (value < min) return describe(path, `below ${min}`);
    return null;
  };
}

export function boolean({ optional = false } = {}) {
  return (value, path = "") => {
    if (value === undefined || value === null) return optional ? null : describe(path, "missing");
    return typeof value === "boolean" ? null : describe(path, "expected true or false");
  };
}

export function oneOf(values, { optional = false } = {}) {
  return (value, path = "") => {
    if (value === undefined || value === null) return optional ? null : describe(path, "missing");
    return values.includes(value) ? null : describe(path, `not one of ${values.join(", ")}`);
  };
}

export function arrayOf(item, { max = 1000, optional = false } = {}) {
  return (value, path = "") => {
    if (value === undefined || value === null) return optional ? null : describe(path, "missing");
    if (!Array.isArray(value)) return describe(path, "expected a list");
    if (value.length > max) return describe(path, `more than ${max} items`);
    for (let i = 0; i < value.length; i++) {
      const problem = item(value[i], `${path}[${i}]`);
      if (problem) return problem;
    }
    return null;
  };
}

// `extra: false` (the default) rejects unknown keys: messages between our own parts are
// exact. Data from the service allows extra keys, so the service can add fields.
export function object(shape, { extra = false, optional = false } = {}) {
  return (value, path = "") => {
    if (value === undefined || value === null) return optional ? null : describe(path, "missing");
    if (typeof value !== "object" || Array.isArray(value)) {
      return describe(path, "expected an object");
    }
    for (const [key, check] of Object.entries(shape)) {
      const problem = check(value[key], path ? `${path}.${key}` : key);
      if (problem) return problem;
    }
    if (!extra) {
      const unknown = Object.keys(value).find((key) => !(key in shape));
      if (unknown) return describe(path, `unexpected field ${unknown}`);
    }
    return null;
  };
}

export function anyObject({ optional = false } = {}) {
  return object({}, { extra: true, optional });
}

export function nullable(check) {
  return (value, path = "") => (value === null ? null : check(value, path));
}
