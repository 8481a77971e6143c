//! The greedy baseline: most important ticket first, each to its cheapest free engineer.
//!
//! Tickets are taken in order of unassignment penalty, highest first (ties by index), and each goes to
//! the engineer with spare capacity whose arc cost plus next load cost is lowest (ties by engineer
//! index), provided that total is below the ticket's penalty; otherwise the ticket stays unassigned.
//!
//! It is fast (`O(m + n log n)`) and deterministic, but only a baseline and a warm start, never the
//! answer: a decision is never revisited, so a ticket that takes the only engineer a later ticket could
//! use blocks it even when another engineer would have served the first one. Under shortage, along
//! chains of such choices, it leaves more tickets unassigned than the optimum and can leave a
//! high-priority ticket out while a lower-priority one holds the engineer it needed. Use
//! [`flow::solve`](super::flow::solve) for the optimum.

use super::{Network, NetworkSolution};

/// Assigns greedily (see the [module docs](self)); the objective is at least the optimum's.
///
/// `O(m + n log n)` for `n` tickets and `m` arcs.
///
/// # Examples
/// ```
/// use dispatchkit::solve::{Network, greedy};
///
/// // Ticket 1 (penalty 50) goes first and takes the cheaper engineer 0; ticket 0 gets engineer 1.
/// let net = Network::new(vec![1, 1], vec![10, 50], vec![(0, 0, 1), (0, 1, 2), (1, 0, 1)]).unwrap();
/// let sol = greedy::solve(&net);
/// assert_eq!(sol.assignment, vec![Some(1), Some(0)]);
/// assert_eq!(sol.objective, 3);
/// ```
pub fn solve(net: &Network) -> NetworkSolution {
    let n = net.tickets();
    let mut order: Vec<u32> = (0..n as u32).collect();
    // Stable, so equal penalties keep index order.
    order.sort_by_key(|&t| std::cmp::Reverse(net.penalty(t as usize)));

    let mut load = vec![0u32; net.engineers()];
    let mut assignment = vec![None; n];
    let mut objective = 0i64;
    let arc_engineer = net.arc_engineer();
    let arc_cost = net.arc_cost();
    for t in order {
        let t = t as usize;
        let penalty = net.penalty(t);
        // Arcs are sorted by engineer, so a strict `<` keeps the lowest engineer index on ties.
        let mut best: Option<(i64, u32)> = None;
        for a in net.arc_range(t) {
            let e = arc_engineer[a];
            let l = load[e as usize];
            if l >= net.capacity(e as usize) {
                continue;
            }
            let total = arc_cost[a] + net.load_cost(e as usize, l as usize);
            if best.is_none_or(|(b, _)| total < b) {
                best = Some((total, e));
            }
        }
        match best {
            Some((total, e)) if total < penalty => {
                assignment[t] = Some(e);
                load[e as usize] += 1;
                objective += total;
            }
            _ => objective += penalty,
        }
    }
    NetworkSolution {
        assignment,
        objective,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(capacity: Vec<u32>, penalty: Vec<i64>, arcs: Vec<(u32, u32, i64)>) -> Network {
        Network::new(capacity, penalty, arcs).unwrap()
    }

    #[test]
    fn empty_network() {
        let sol = solve(&net(vec![], vec![], vec![]));
        assert!(sol.assignment.is_empty());
        assert_eq!(sol.objective, 0);
    }

    #[test]
    fn higher_penalty_goes_first() {
        let n = net(
            vec![1],
            vec![10, 30, 20],
            vec![(0, 0, 1), (1, 0, 1), (2, 0, 1)],
        );
        let sol = solve(&n);
        assert_eq!(sol.assignment, vec![None, Some(0), None]);
        assert_eq!(sol.objective, 10 + 1 + 20);
        assert_eq!(n.evaluate(&sol.assignment), Ok(sol.objective));
    }

    #[test]
    fn ties_go_by_index() {
        let n = net(
            vec![1, 1],
            vec![5, 5],
            vec![(0, 0, 1), (0, 1, 1), (1, 0, 1)],
        );
        let sol = solve(&n);
        // Ticket 0 first (same penalty, lower index), engineer 0 (same cost, lower index).
        assert_eq!(sol.assignment, vec![Some(0), None]);
        assert_eq!(sol.objective, 1 + 5);
    }

    #[test]
    fn an_arc_not_below_the_penalty_is_not_taken() {
        let sol = solve(&net(vec![2], vec![8, 9], vec![(0, 0, 8), (1, 0, 8)]));
        assert_eq!(sol.assignment, vec![None, Some(0)]);
        assert_eq!(sol.objective, 16);
    }

    #[test]
    fn load_costs_count_towards_the_choice() {
        let n = net(
            vec![2, 1],
            vec![100, 90],
            vec![(0, 0, 0), (0, 1, 5), (1, 0, 0), (1, 1, 5)],
        )
        .with_load_costs(vec![vec![0, 20], vec![0]])
        .unwrap();
        let sol = solve(&n);
        // Ticket 0 takes engineer 0 (0); for ticket 1, engineer 0 would now cost 20, engineer 1 costs 5.
        assert_eq!(sol.assignment, vec![Some(0), Some(1)]);
        assert_eq!(sol.objective, 5);
        assert_eq!(n.evaluate(&sol.assignment), Ok(5));
    }

    #[test]
    fn misses_the_optimum_on_a_chain() {
        // Ticket 0 grabs engineer 0, the only engineer ticket 1 can use; the optimum serves both.
        let n = net(
            vec![1, 1],
            vec![50, 40],
            vec![(0, 0, 1), (0, 1, 2), (1, 0, 1)],
        );
        let sol = solve(&n);
        assert_eq!(sol.assignment, vec![Some(0), None]);
        assert_eq!(sol.objective, 41);
        assert_eq!(n.evaluate(&[Some(1), Some(0)]), Ok(3));
    }
}
