"""The ASSISTments 2009 skills the seed covers: their names and what each one practises.

Names are exactly those of the skill mapping, so they join the student model's skill
ids. The descriptions are the project's own, written as a teacher describes a skill
on a worksheet: what the student does and the kinds of problems that practise it.
They exist because the skill-relevance criterion compares an exercise with its
skill's name and description, and a bare name ("Rate", "Proportion") says little
about the word problems that practise it (docs/generation.md).
"""

from __future__ import annotations

SKILL_NAMES: dict[int, str] = {
    1: "Area Trapezoid",
    3: "Probability of Two Distinct Events",
    5: "Median",
    8: "Mean",
    9: "Range",
    13: "Equivalent Fractions",
    14: "Proportion",
    15: "Fraction Of",
    16: "Probability of a Single Event",
    18: "Addition and Subtraction Positive Decimals",
    19: "Multiplication Fractions",
    20: "Addition and Subtraction Integers",
    21: "Multiplication and Division Integers",
    22: "Addition Whole Numbers",
    23: "Absolute Value",
    24: "Addition and Subtraction Fractions",
    25: "Subtraction Whole Numbers",
    26: "Equation Solving Two or Fewer Steps",
    27: '"Order of Operations +,-,/,* () positive reals"',
    29: "Counting Methods",
    31: "Circumference",
    34: "Conversion of Fraction Decimals Percents",
    35: "Percent Of",
    36: "Unit Rate",
    39: "Volume Rectangular Prism",
    40: "Order of Operations All",
    41: "Finding Percents",
    44: "Square Root",
    46: "Algebraic Solving",
    47: "Percent Discount",
    49: "Complementary and Supplementary Angles",
    50: "Pythagorean Theorem",
    53: "Interior Angles Figures with More than 3 Sides",
    54: "Interior Angles Triangle",
    57: "Perimeter of a Polygon",
    59: "Exponents",
    60: "Division Fractions",
    63: "Scale Factor",
    64: "Surface Area Rectangular Prism",
    68: "Area Circle",
    69: "Least Common Multiple",
    74: "Multiplication and Division Positive Decimals",
    78: "Rate",
    80: "Unit Conversion Within a System",
    81: "Area Rectangle",
    82: "Area Triangle",
    83: "Area Parallelogram",
    86: "Volume Cylinder",
    87: "Greatest Common Factor",
    90: "Multiplication Whole Numbers",
    102: "Distributive Property",
    103: "Recognize Linear Pattern",
    105: "Finding Slope from Ordered Pairs",
}

SKILL_DESCRIPTIONS: dict[int, str] = {
    1: "find the area of a trapezoid from its two parallel sides and its height: "
    "half the sum of the parallel sides times the height.",
    3: "find the probability that two independent events both happen, such as a coin "
    "flip and a die roll, by multiplying their probabilities.",
    5: "find the median, the middle value of a list of numbers put in order from least to greatest.",
    8: "find the mean (average) of a list of numbers: their sum divided by how many there are.",
    9: "find the range of a data set: the largest value minus the smallest value.",
    13: "write a fraction equal to a given one by multiplying or dividing its numerator "
    "and denominator by the same number; fill in a missing numerator or denominator.",
    14: "solve a proportion, two equal ratios with one unknown term, by cross-multiplying; "
    "word problems where prices, recipes or maps scale at the same ratio.",
    15: "what is a fraction of a number, such as 3/4 of 20?",
    16: "find the probability of one event, such as drawing a red marble from a bag: "
    "favourable outcomes over all possible outcomes, as a fraction.",
    18: "add and subtract positive decimals by lining up the decimal points; word problems "
    "on lengths, money and totals.",
    19: "multiply fractions: numerator times numerator over denominator times denominator, then simplify.",
    20: "add and subtract positive and negative integers; word problems on temperatures "
    "rising and falling below zero.",
    21: "multiply and divide positive and negative integers and find the sign of the result.",
    22: "add whole numbers, with carrying; word problems on how many in all.",
    23: "evaluate absolute value bars such as |3 - 8|: the distance of a number from zero.",
    24: "add and subtract fractions using a common denominator, then simplify.",
    25: "subtract whole numbers, with borrowing; word problems on how many are left.",
    26: "solve a linear equation for x in one or two steps, such as 3x + 5 = 20.",
    27: "evaluate expressions with +, -, *, / and parentheses in the right order: "
    "parentheses first, then multiplication and division, then addition and subtraction.",
    29: "count the possible outcomes or arrangements using the counting principle: "
    "multiply the number of choices at each step, such as outfits from shirts and pants.",
    31: "find the circumference of a circle from its radius or diameter: pi times the diameter.",
    34: "convert between fractions, decimals and percents, such as writing 3/4 as a percent.",
    35: "what is a given percent of a number, such as 15% of 80?",
    36: "find a unit rate, the amount for one unit: price per pound, pages per hour, miles per gallon.",
    39: "find the volume of a rectangular prism or box: length times width times height, in cubic units.",
    40: "evaluate expressions using the order of operations with parentheses, exponents, "
    "multiplication, division, addition and subtraction.",
    41: "find what percent a part is of a whole: the part divided by the whole, times 100, "
    "such as the percent of test questions answered correctly.",
    44: "find the square root of a perfect square.",
    46: "solve equations for x that need several steps, such as using the distributive "
    "property or collecting terms, for example 3(x + 1) = 63.",
    47: "find a sale price after a percent discount, or the amount saved.",
    49: "complementary angles add up to 90 degrees and supplementary angles to 180 degrees; "
    "find the missing angle.",
    50: "use the Pythagorean theorem a^2 + b^2 = c^2 to find the hypotenuse or a missing "
    "leg of a right triangle.",
    53: "find the sum of the interior angles of a polygon, (n - 2) * 180 degrees, or each "
    "interior angle of a regular polygon.",
    54: "the interior angles of a triangle add up to 180 degrees; find the missing angle.",
    57: "find the perimeter of a polygon by adding the lengths of its sides.",
    59: "find the value of a number raised to a power (exponent), such as 7^2 or 2^5.",
    60: "divide fractions by multiplying by the reciprocal of the divisor, then simplify.",
    63: "enlarge or reduce a figure by a scale factor: multiply each length by the scale factor.",
    64: "find the surface area of a rectangular prism or box: the total area of its six faces.",
    68: "find the area of a circle from its radius or diameter: pi times the radius squared.",
    69: "find the least common multiple of two whole numbers.",
    74: "multiply and divide positive decimals; word problems on prices and quantities.",
    78: "solve rate problems: distance, speed and time, or amount per hour, using rate times time.",
    80: "convert a measurement from one unit to another in the same system: feet and inches, "
    "hours and minutes, meters and centimeters.",
    81: "find the area of a rectangle: length times width, in square units.",
    82: "find the area of a triangle: half the base times the height.",
    83: "find the area of a parallelogram: base times height (not the slanted side).",
    86: "find the volume of a cylinder: pi times the radius squared times the height.",
    87: "find the greatest common factor, the largest number that divides both numbers.",
    90: "multiply whole numbers; word problems on equal groups, such as boxes with the "
    "same number of items in each.",
    102: "use the distributive property to multiply a number by a sum: a(b + c) = ab + ac.",
    103: "recognise a linear pattern in a sequence that goes up by the same amount each "
    "time and find a later term.",
    105: "find the slope of a line through two ordered pairs: the change in y over the change in x.",
}
