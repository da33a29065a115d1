//! Reading a parsed JSON body into a request type the way serde does, with one rule more: a
//! struct comes only from a JSON object.
//!
//! serde's derived structs also accept a sequence of their fields in order, so `["hi", "c-1"]`
//! would pass as `{"text": "hi", "client_message_id": "c-1"}`. The API documents objects, and a
//! client that sends an array has made a mistake it should hear about; so this deserializer, laid
//! over a [`Value`], refuses a sequence wherever a struct is expected, at any depth.

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Unexpected, Visitor};
use serde_json::{Error, Map, Value};

/// A JSON value to deserialize strictly.
pub struct Strict(pub Value);

/// Scalars hold nothing a struct could hide in: `serde_json`'s own deserializer reads them.
macro_rules! by_value {
    ($($method:ident)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
                self.0.$method(visitor)
            }
        )*
    };
}

/// Integers also come from a number written with a zero fraction: JSON Schema, and so the API
/// document, counts `2.0` as the integer 2.
macro_rules! whole_numbers {
    ($($method:ident)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
                whole(self.0).$method(visitor)
            }
        )*
    };
}

/// `value` as an integer when it is a float with nothing after the point that an integer holds
/// exactly; otherwise as it is.
fn whole(value: Value) -> Value {
    let Some(f) = value.as_f64().filter(|f| value.is_f64() && f.fract() == 0.0) else { return value };
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
    let exact = if f < 0.0 {
        Some(f as i64).filter(|i| *i as f64 == f).map(Value::from)
    } else {
        Some(f as u64).filter(|u| *u as f64 == f).map(Value::from)
    };
    exact.unwrap_or(value)
}

impl<'de> Deserializer<'de> for Strict {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Array(items) => visit_array(items, visitor),
            Value::Object(fields) => visit_object(fields, visitor),
            scalar => scalar.deserialize_any(visitor),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            Value::Object(fields) => visit_object(fields, visitor),
            Value::Array(_) => Err(de::Error::invalid_type(Unexpected::Seq, &"a JSON object")),
            other => other.deserialize_any(visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            other => visitor.visit_some(Strict(other)),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_any(visitor)
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_any(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_any(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_any(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        // The API's enums are plain strings; a variant's content keeps serde_json's own rules.
        self.0.deserialize_enum(name, variants, visitor)
    }

    by_value! {
        deserialize_bool deserialize_f32
        deserialize_f64 deserialize_char deserialize_str deserialize_string deserialize_bytes
        deserialize_byte_buf deserialize_unit deserialize_identifier deserialize_ignored_any
    }

    whole_numbers! {
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, name: &'static str, visitor: V) -> Result<V::Value, Error> {
        self.0.deserialize_unit_struct(name, visitor)
    }
}

fn visit_array<'de, V: Visitor<'de>>(items: Vec<Value>, visitor: V) -> Result<V::Value, Error> {
    let len = items.len();
    let mut seq = Items(items.into_iter());
    let value = visitor.visit_seq(&mut seq)?;
    if seq.0.len() == 0 { Ok(value) } else { Err(de::Error::invalid_length(len, &"fewer elements in the array")) }
}

fn visit_object<'de, V: Visitor<'de>>(fields: Map<String, Value>, visitor: V) -> Result<V::Value, Error> {
    visitor.visit_map(Fields { fields: fields.into_iter(), value: None })
}

struct Items(std::vec::IntoIter<Value>);

impl<'de> SeqAccess<'de> for Items {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, Error> {
        self.0.next().map(|item| seed.deserialize(Strict(item))).transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

struct Fields {
    fields: serde_json::map::IntoIter,
    /// The value of the key just read, waiting for `next_value_seed`.
    value: Option<Value>,
}

impl<'de> MapAccess<'de> for Fields {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Error> {
        let Some((key, value)) = self.fields.next() else { return Ok(None) };
        self.value = Some(value);
        seed.deserialize(Value::String(key)).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let value = self.value.take().ok_or_else(|| de::Error::custom("a value was read before its key"))?;
        seed.deserialize(Strict(value))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.fields.len())
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Message {
        text: String,
        #[serde(default)]
        to: Option<Person>,
        #[serde(default)]
        tags: Vec<String>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Person {
        name: String,
    }

    fn read(value: Value) -> Result<Message, String> {
        serde_path_to_error::deserialize(Strict(value)).map_err(|e| e.to_string())
    }

    #[test]
    fn objects_read_as_serde_reads_them() {
        let m = read(json!({"text": "hi", "to": {"name": "Kim"}, "tags": ["a"]})).unwrap();
        assert_eq!(m, Message { text: "hi".into(), to: Some(Person { name: "Kim".into() }), tags: vec!["a".into()] });
        assert_eq!(read(json!({"text": "hi", "to": null})).unwrap().to, None);
        assert!(read(json!({"text": "hi", "extra": 1})).unwrap_err().contains("unknown field"));
        assert!(read(json!({"text": 5})).unwrap_err().starts_with("text: invalid type"));
    }

    #[test]
    fn a_sequence_is_not_a_struct_at_any_depth() {
        let top = read(json!(["hi"])).unwrap_err();
        assert!(top.contains("invalid type: sequence"), "{top}");
        let nested = read(json!({"text": "hi", "to": ["Kim"]})).unwrap_err();
        assert!(nested.starts_with("to: invalid type: sequence"), "{nested}");
    }

    #[test]
    fn a_whole_number_may_carry_a_zero_fraction() {
        #[derive(Debug, Deserialize, PartialEq)]
        struct Counts {
            small: u32,
            signed: i64,
        }
        let read = |v: Value| serde_path_to_error::deserialize::<_, Counts>(Strict(v)).map_err(|e| e.to_string());
        assert_eq!(read(json!({"small": 3.0, "signed": -2.0})), Ok(Counts { small: 3, signed: -2 }));
        assert!(
            read(json!({"small": 3.5, "signed": 0})).unwrap_err().starts_with("small: invalid type: floating point")
        );
        assert!(read(json!({"small": -1.0, "signed": 0})).unwrap_err().starts_with("small: invalid value"));
    }
}
