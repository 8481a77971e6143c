//! dispatchkit decides which engineer takes which service ticket.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
pub mod geo;
pub mod model;
pub mod solve;

pub use error::{Entity, Error, ErrorKind};
pub use model::{
    AttrValue, Attributes, Customer, Engineer, EngineerId, LatLon, Priority, Shift, Ticket,
    TicketId, Tier,
};
