//! Escalation alerts: the tickets a dispatcher must look at now, with what to do about them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::planner::{Planner, job};
use super::policy::SlaPolicy;
use super::schedule::TimedPlan;
use crate::error::Error;
use crate::fleet::Fleet;
use crate::model::{EngineerId, Priority, Ticket, TicketId};
use crate::solve::Reason;
use crate::solve::time::{at_minutes, minutes_since};

/// When a ticket deserves an alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AlertConfig {
    /// A scheduled ticket whose predicted slack to its due time is below this many minutes is at
    /// risk. Default 30.
    pub at_risk_slack_min: f64,
    /// An unassigned ticket open for at least this many minutes is overdue for dispatch. Default 60.
    pub unassigned_after_min: f64,
    /// With a policy, a scheduled ticket whose ETA is after its response due time
    /// ([`SlaPolicy::due`]) is reported too. Default none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<SlaPolicy>,
}

impl Default for AlertConfig {
    fn default() -> AlertConfig {
        AlertConfig {
            at_risk_slack_min: 30.0,
            unassigned_after_min: 60.0,
            policy: None,
        }
    }
}

/// What is wrong.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AlertKind {
    /// The due time has passed and the ticket is not finished.
    Breached {
        /// Minutes since the due time.
        overdue_min: f64,
    },
    /// The schedule predicts completion after the due time.
    PredictedBreach {
        /// Predicted minutes late.
        late_min: f64,
    },
    /// Resolution is on time, but the engineer is predicted to arrive after the response due time
    /// of the alert configuration's policy.
    ResponseLate {
        /// Predicted minutes between the response due time and the ETA.
        late_min: f64,
    },
    /// Predicted completion is on time, with less slack than the threshold.
    AtRisk {
        /// Predicted minutes to spare.
        slack_min: f64,
    },
    /// Unassigned for longer than the threshold.
    UnassignedTooLong {
        /// Minutes since the ticket was opened.
        waiting_min: f64,
        /// Why the plan left it out.
        reason: Reason,
    },
}

/// What the dispatcher could do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Give the ticket to this engineer, who would finish it earlier (appended to its route).
    Reassign {
        /// The engineer.
        engineer: EngineerId,
        /// When it would finish the ticket.
        completion: DateTime<Utc>,
    },
    /// No engineer can do better: raise the priority (to P1 or beyond: a supervisor's call).
    EscalatePriority {
        /// The priority to raise it to.
        to: Priority,
    },
}

/// One ticket that needs attention.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// The ticket.
    pub ticket: TicketId,
    /// Its priority.
    pub priority: Priority,
    /// The engineer it is assigned to, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engineer: Option<EngineerId>,
    /// What is wrong, with the numbers.
    pub kind: AlertKind,
    /// The suggested action.
    pub action: Action,
}

impl Planner {
    /// The tickets of a timed plan that need attention at `now`: breached (due passed), predicted
    /// to breach, predicted to miss the response due time (with [`AlertConfig::policy`]), at risk
    /// (slack below [`AlertConfig::at_risk_slack_min`]), and unassigned for longer than
    /// [`AlertConfig::unassigned_after_min`]; each with a suggested action.
    ///
    /// The action is to re-assign to the eligible engineer (from
    /// [`Dispatcher::candidates`](crate::Dispatcher::candidates), so reach, skill, shift, capacity
    /// and time are respected) who would finish the ticket earliest when it is appended to the end
    /// of that engineer's route, if that is earlier than now predicted (and, for an unassigned
    /// ticket, at all possible); otherwise to escalate the priority one level (P1 stays P1).
    ///
    /// Sorted by kind (breached, predicted breach, response late, at risk, unassigned), then
    /// priority, then ticket id. `O(alerts × candidates)`.
    ///
    /// # Errors
    /// An invalid configuration or ticket, as [`Dispatcher::candidates`](crate::Dispatcher::candidates);
    /// an invalid policy calendar, as [`SlaPolicy::due`].
    pub fn alerts(
        &self,
        fleet: &Fleet,
        tickets: &[Ticket],
        timed: &TimedPlan,
        now: DateTime<Utc>,
        config: &AlertConfig,
    ) -> Result<Vec<Alert>, Error> {
        let by_id: HashMap<&TicketId, &Ticket> = tickets.iter().map(|t| (&t.id, t)).collect();
        let mut out: Vec<(u8, Alert)> = Vec::new();
        for route in &timed.schedule.routes {
            for stop in &route.stops {
                let Some(ticket) = by_id.get(&stop.ticket) else {
                    continue;
                };
                let response = match &config.policy {
                    Some(p) if !stop.in_progress => p.due(ticket)?.map(|d| d.response),
                    _ => None,
                };
                let response_late = response
                    .filter(|r| stop.arrival > *r)
                    .map(|r| minutes_since(r, stop.arrival));
                let (rank, kind) = match (stop.due, stop.slack_min) {
                    (Some(due), _) if due < now => {
                        let overdue_min = minutes_since(due, now);
                        (0, AlertKind::Breached { overdue_min })
                    }
                    (Some(_), Some(slack)) if stop.breached => {
                        (1, AlertKind::PredictedBreach { late_min: -slack })
                    }
                    _ if response_late.is_some() => (
                        2,
                        AlertKind::ResponseLate {
                            late_min: response_late.unwrap_or(0.0),
                        },
                    ),
                    (Some(_), Some(slack)) if slack < config.at_risk_slack_min => {
                        (3, AlertKind::AtRisk { slack_min: slack })
                    }
                    _ => continue,
                };
                let action = self.action(
                    fleet,
                    ticket,
                    timed,
                    now,
                    Some((&route.engineer, stop.completion)),
                )?;
                out.push((
                    rank,
                    Alert {
                        ticket: stop.ticket.clone(),
                        priority: stop.priority,
                        engineer: Some(route.engineer.clone()),
                        kind,
                        action,
                    },
                ));
            }
        }
        for u in &timed.plan.unassigned {
            let Some(ticket) = by_id.get(&u.ticket) else {
                continue;
            };
            let waiting_min = minutes_since(ticket.created_at, now);
            if waiting_min < config.unassigned_after_min {
                continue;
            }
            let action = self.action(fleet, ticket, timed, now, None)?;
            out.push((
                4,
                Alert {
                    ticket: u.ticket.clone(),
                    priority: u.priority,
                    engineer: None,
                    kind: AlertKind::UnassignedTooLong {
                        waiting_min,
                        reason: u.reason.clone(),
                    },
                    action,
                },
            ));
        }
        out.sort_by(|a, b| (a.0, a.1.priority, &a.1.ticket).cmp(&(b.0, b.1.priority, &b.1.ticket)));
        Ok(out.into_iter().map(|(_, a)| a).collect())
    }

    /// The engineer who would finish `ticket` earliest by appending it to its route, if earlier
    /// than `current`; else escalation.
    fn action(
        &self,
        fleet: &Fleet,
        ticket: &Ticket,
        timed: &TimedPlan,
        now: DateTime<Utc>,
        current: Option<(&EngineerId, DateTime<Utc>)>,
    ) -> Result<Action, Error> {
        let ranking = self.dispatcher.candidates(fleet, ticket, now)?;
        let time = &self.dispatcher.config().time;
        let j = job(self.dispatcher.policy(), ticket, now, time);
        let mut best: Option<(f64, &EngineerId)> = None;
        for c in &ranking.eligible {
            if current.is_some_and(|(e, _)| *e == c.engineer) {
                continue;
            }
            let Some(engineer) = fleet.get(&c.engineer) else {
                continue;
            };
            // Append to the end of its route (its last stop, or its position now).
            let (from, free) = match timed.schedule.route_of(&c.engineer) {
                Some(r) => match r.stops.last() {
                    Some(s) => (s.location, minutes_since(now, s.completion).max(0.0)),
                    None => (engineer.location, 0.0),
                },
                None => (engineer.location, 0.0),
            };
            let arrival = free + time.travel.minutes(crate::geo::distance_km(from, j.loc));
            if arrival > j.latest {
                continue;
            }
            let finish = arrival.max(j.earliest) + j.duration;
            let limit = engineer.shift.map_or(f64::INFINITY, |s| {
                minutes_since(now, s.end) + f64::from(time.max_overtime_min)
            });
            if finish > limit {
                continue;
            }
            if best.is_none_or(|(f, _)| finish < f - 1e-9) {
                best = Some((finish, &c.engineer));
            }
        }
        let current_finish = current.map(|(_, t)| minutes_since(now, t));
        match best {
            Some((finish, e)) if current_finish.is_none_or(|c| finish < c - 1e-9) => {
                Ok(Action::Reassign {
                    engineer: e.clone(),
                    completion: at_minutes(now, finish),
                })
            }
            _ => Ok(Action::EscalatePriority {
                to: Priority::ALL[ticket.priority.index().saturating_sub(1)],
            }),
        }
    }
}
