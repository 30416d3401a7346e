"""The order in which the C++ standard library's std::sort (GNU libstdc++: introsort with a
median-of-three pivot, heapsort past the depth limit, and a final insertion sort) leaves
equal keys. torch.mode reports the position of the last element of the mode's run after such
a sort, so which of several equal elements that is depends on this exact algorithm.

Keys are Python floats or ints compared with `<`, so NaN compares false both ways, as in C++.
"""

from __future__ import annotations

_THRESHOLD = 16


def std_sort(keys: list, items: list) -> None:
    """Sorts `items` (and `keys` along with them) by key in place, as std::sort would."""
    n = len(keys)
    if n < 2:
        return
    _introsort_loop(keys, items, 0, n, 2 * (n.bit_length() - 1))
    _final_insertion_sort(keys, items, 0, n)


def _swap(k: list, v: list, i: int, j: int) -> None:
    k[i], k[j] = k[j], k[i]
    v[i], v[j] = v[j], v[i]


def _introsort_loop(k: list, v: list, first: int, last: int, depth: int) -> None:
    # The C++ loop recurses on the right part and iterates on the left; the parts are
    # disjoint, so a stack of pending parts gives the same result without recursion.
    stack = [(first, last, depth)]
    while stack:
        first, last, depth = stack.pop()
        while last - first > _THRESHOLD:
            if depth == 0:
                _heap_sort(k, v, first, last)
                break
            depth -= 1
            cut = _partition_pivot(k, v, first, last)
            stack.append((first, cut, depth))
            first = cut


def _partition_pivot(k: list, v: list, first: int, last: int) -> int:
    mid = first + (last - first) // 2
    _median_to_first(k, v, first, first + 1, mid, last - 1)
    return _unguarded_partition(k, v, first + 1, last, first)


def _median_to_first(k: list, v: list, result: int, a: int, b: int, c: int) -> None:
    if k[a] < k[b]:
        if k[b] < k[c]:
            _swap(k, v, result, b)
        elif k[a] < k[c]:
            _swap(k, v, result, c)
        else:
            _swap(k, v, result, a)
    elif k[a] < k[c]:
        _swap(k, v, result, a)
    elif k[b] < k[c]:
        _swap(k, v, result, c)
    else:
        _swap(k, v, result, b)


def _unguarded_partition(k: list, v: list, first: int, last: int, pivot: int) -> int:
    p = k[pivot]
    while True:
        while k[first] < p:
            first += 1
        last -= 1
        while p < k[last]:
            last -= 1
        if not first < last:
            return first
        _swap(k, v, first, last)
        first += 1


def _final_insertion_sort(k: list, v: list, first: int, last: int) -> None:
    if last - first > _THRESHOLD:
        _insertion_sort(k, v, first, first + _THRESHOLD)
        for i in range(first + _THRESHOLD, last):
            _linear_insert(k, v, i)
    else:
        _insertion_sort(k, v, first, last)


def _insertion_sort(k: list, v: list, first: int, last: int) -> None:
    for i in range(first + 1, last):
        if k[i] < k[first]:
            key, item = k[i], v[i]
            k[first + 1:i + 1] = k[first:i]
            v[first + 1:i + 1] = v[first:i]
            k[first], v[first] = key, item
        else:
            _linear_insert(k, v, i)


def _linear_insert(k: list, v: list, last: int) -> None:
    key, item = k[last], v[last]
    nxt = last - 1
    while key < k[nxt]:
        k[last], v[last] = k[nxt], v[nxt]
        last = nxt
        nxt -= 1
    k[last], v[last] = key, item


def _heap_sort(k: list, v: list, first: int, last: int) -> None:
    n = last - first
    if n >= 2:
        parent = (n - 2) // 2
        while True:
            _adjust_heap(k, v, first, parent, n, k[first + parent], v[first + parent])
            if parent == 0:
                break
            parent -= 1
    while last - first > 1:
        last -= 1
        key, item = k[last], v[last]
        k[last], v[last] = k[first], v[first]
        _adjust_heap(k, v, first, 0, last - first, key, item)


def _adjust_heap(k: list, v: list, first: int, hole: int, n: int, key: object,
                 item: object) -> None:
    top = hole
    child = hole
    while child < (n - 1) // 2:
        child = 2 * (child + 1)
        if k[first + child] < k[first + child - 1]:
            child -= 1
        k[first + hole], v[first + hole] = k[first + child], v[first + child]
        hole = child
    if n % 2 == 0 and child == (n - 2) // 2:
        child = 2 * (child + 1)
        k[first + hole], v[first + hole] = k[first + child - 1], v[first + child - 1]
        hole = child - 1
    parent = (hole - 1) // 2
    while hole > top and k[first + parent] < key:
        k[first + hole], v[first + hole] = k[first + parent], v[first + parent]
        hole = parent
        parent = (hole - 1) // 2
    k[first + hole], v[first + hole] = key, item
